using System.Text.RegularExpressions;
using Catalog.Conventions;

namespace Catalog.Products;

/// <summary>
/// The contract's field rules for products, shared by create and update. Each limit is a constant here, used both by
/// these checks and by the validation attributes on the request records that the OpenAPI document shows.
/// </summary>
public static partial class ProductRules
{
    public const int NameMaxLength = 255;
    private const string CodeCharacters = "[A-Za-z0-9_-]{1,50}", KeyPrefixLetters = "[A-Z]{2,10}";
    public const string CodePattern = "^" + CodeCharacters + "$";
    public const int DescriptionMaxLength = 1000;
    public const string KeyPrefixPattern = "^" + KeyPrefixLetters + "$";

    public const string NameRule = "1-255 characters, not blank.";
    public const string CodeRule = "1-50 characters of A-Z a-z 0-9 - _; unique in the account ignoring case; immutable; stays reserved after deletion.";
    public const string KeyPrefixRule = "How license keys begin: 2-10 uppercase letters A-Z (lowercase is refused, not fixed).";

    public static void Name(ValidationErrors errors, string? name) => Text.Name(errors, "name", name, NameMaxLength);

    public static void Code(ValidationErrors errors, string? code)
    {
        if (code is null) errors.Add("code", "is required");
        else if (!CodeRegex().IsMatch(code)) errors.Add("code", "must be 1-50 characters of A-Z a-z 0-9 - _");
    }

    public static void Description(ValidationErrors errors, string? description)
    {
        if (description is null) return;
        if (Text.Length(description) > DescriptionMaxLength) errors.Add("description", $"must be at most {DescriptionMaxLength} characters");
        else Text.MustBeStorable(errors, "description", description);
    }

    public static void KeyPrefix(ValidationErrors errors, string? keyPrefix)
    {
        if (keyPrefix is not null && !KeyPrefixRegex().IsMatch(keyPrefix))
            errors.Add("keyPrefix", "must be 2-10 uppercase letters A-Z");
    }

    // \z, not the patterns' $ (shown in the API description, which .NET also matches before a final newline).
    [GeneratedRegex("^" + CodeCharacters + @"\z")]
    private static partial Regex CodeRegex();

    [GeneratedRegex("^" + KeyPrefixLetters + @"\z")]
    private static partial Regex KeyPrefixRegex();
}
