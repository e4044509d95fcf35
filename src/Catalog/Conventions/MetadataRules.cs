
namespace Catalog.Conventions;

/// <summary><c>metadata</c> on every resource: at most 64 keys of 1-64 characters; values strings (≤ 512), numbers, booleans or null.</summary>
public static class MetadataRules
{
    public const int MaxKeys = 64;
    public const int MaxKeyLength = 64;
    public const int MaxStringLength = 512;

    public static void Check(ValidationErrors errors, Dictionary<string, JsonElement>? metadata)
    {
        if (metadata is null) return;
        if (metadata.Count > MaxKeys) errors.Add("metadata", $"must have at most {MaxKeys} keys");

        foreach (var (key, value) in metadata)
        {
            var field = $"metadata.{key}";
            if (key.Length == 0 || Text.Length(key) > MaxKeyLength || !Text.IsStorable(key))
            {
                errors.Add("metadata", $"keys must be 1-{MaxKeyLength} characters");
                continue;
            }

            switch (value.ValueKind)
            {
                case JsonValueKind.String:
                    if (TextOf(value) is not { } text)
                    {
                        errors.Add(field, "must be valid Unicode text (no unpaired surrogates)");
                        break;
                    }
                    if (Text.Length(text) > MaxStringLength)
                        errors.Add(field, $"must be at most {MaxStringLength} characters");
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

    /// <summary>A JSON string's text, or null when its escapes spell half a surrogate pair.</summary>
    private static string? TextOf(JsonElement value)
    {
        try
        {
            return value.GetString();
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>Whether two metadata objects hold the same keys and values (a change that changes nothing appends nothing).</summary>
    public static bool Same(Dictionary<string, JsonElement> a, Dictionary<string, JsonElement> b) =>
        a.Count == b.Count && a.All(x => b.TryGetValue(x.Key, out var other) && JsonElement.DeepEquals(x.Value, other));
}
