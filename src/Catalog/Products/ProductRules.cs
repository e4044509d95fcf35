using System.Text.Json;
using System.Text.RegularExpressions;
using Catalog.Infrastructure;

namespace Catalog.Products;

/// <summary>The contract's field rules for products, shared by create and update.</summary>
public static partial class ProductRules
{
    public const int MaxMetadataKeys = 64;
    public const int MaxMetadataKeyLength = 64;
    public const int MaxMetadataStringLength = 512;

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

    public static void Metadata(ValidationErrors errors, Dictionary<string, JsonElement>? metadata)
    {
        if (metadata is null) return;
        if (metadata.Count > MaxMetadataKeys) errors.Add("metadata", $"must have at most {MaxMetadataKeys} keys");

        foreach (var (key, value) in metadata)
        {
            var field = $"metadata.{key}";
            if (key.Length == 0 || Text.Length(key) > MaxMetadataKeyLength || !Text.IsStorable(key))
            {
                errors.Add("metadata", $"keys must be 1-{MaxMetadataKeyLength} characters");
                continue;
            }

            switch (value.ValueKind)
            {
                case JsonValueKind.String:
                    var text = value.GetString()!;
                    if (Text.Length(text) > MaxMetadataStringLength)
                        errors.Add(field, $"must be at most {MaxMetadataStringLength} characters");
                    else Text.MustBeStorable(errors, field, text);
                    break;
                case JsonValueKind.Number:
                    // PostgreSQL stores JSON numbers as numeric: keep them to what a double can carry.
                    if (!value.TryGetDouble(out var number) || !double.IsFinite(number) || value.GetRawText().Length > 64)
                        errors.Add(field, "must be a number that fits a 64-bit float");
                    break;
                case JsonValueKind.True or JsonValueKind.False or JsonValueKind.Null:
                    break;
                default:
                    errors.Add(field, "must be a string, number, boolean or null");
                    break;
            }
        }
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{1,50}$")]
    private static partial Regex CodePattern();

    [GeneratedRegex("^[A-Z]{2,10}$")]
    private static partial Regex KeyPrefixPattern();
}
