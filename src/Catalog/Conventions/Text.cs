namespace Catalog.Conventions;

public static class Text
{
    /// <summary>Length in characters as a person counts them (Unicode scalar values), not UTF-16 units.</summary>
    public static int Length(string value)
    {
        var count = 0;
        foreach (var _ in value.EnumerateRunes()) count++;
        return count;
    }

    /// <summary>Neither NUL nor half a surrogate pair, which jsonb cannot hold: a 400, not a database error.</summary>
    public static bool IsStorable(string value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c == '\0') return false;
            if (char.IsHighSurrogate(c))
            {
                if (i + 1 >= value.Length || !char.IsLowSurrogate(value[i + 1])) return false;
                i++;
            }
            else if (char.IsLowSurrogate(c)) return false;
        }
        return true;
    }

    /// <summary>A required name: 1 to <paramref name="maxLength"/> characters, not blank, storable.</summary>
    public static void Name(ValidationErrors errors, string field, string? value, int maxLength)
    {
        if (value is null) errors.Add(field, "is required");
        else if (string.IsNullOrWhiteSpace(value)) errors.Add(field, "must not be blank");
        else if (Length(value) > maxLength) errors.Add(field, $"must be at most {maxLength} characters");
        else MustBeStorable(errors, field, value);
    }

    public static void MustBeStorable(ValidationErrors errors, string field, string value)
    {
        if (!IsStorable(value)) errors.Add(field, "must not contain NUL characters or unpaired surrogates");
    }
}
