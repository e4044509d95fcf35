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

    public static void MustBeStorable(ValidationErrors errors, string field, string value)
    {
        if (!IsStorable(value)) errors.Add(field, "must not contain NUL characters or unpaired surrogates");
    }
}
