using System.Text.RegularExpressions;
using Catalog.Conventions;

namespace Catalog.Products;

/// <summary>The contract's field rules for products, shared by create and update.</summary>
public static partial class ProductRules
{
    public static void Name(ValidationErrors errors, string? name)
    {
        if (name is null) errors.Add("name", "is required");
        else if (string.IsNullOrWhiteSpace(name)) errors.Add("name", "must not be blank");
        else if (Text.Length(name) > 255) errors.Add("name", "must be at most 255 characters");
        else Text.MustBeStorable(errors, "name", name);
    }

    public static void Code(ValidationErrors errors, string? code)
    {
        if (code is null) errors.Add("code", "is required");
        else if (!CodePattern().IsMatch(code)) errors.Add("code", "must be 1-50 characters of A-Z a-z 0-9 - _");
    }

    public static void Description(ValidationErrors errors, string? description)
    {
        if (description is null) return;
        if (Text.Length(description) > 1000) errors.Add("description", "must be at most 1000 characters");
        else Text.MustBeStorable(errors, "description", description);
    }

    public static void KeyPrefix(ValidationErrors errors, string? keyPrefix)
    {
        if (keyPrefix is not null && !KeyPrefixPattern().IsMatch(keyPrefix))
            errors.Add("keyPrefix", "must be 2-10 uppercase letters A-Z");
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{1,50}$")]
    private static partial Regex CodePattern();

    [GeneratedRegex("^[A-Z]{2,10}$")]
    private static partial Regex KeyPrefixPattern();
}
