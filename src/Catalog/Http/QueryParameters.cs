using Catalog.Conventions;

namespace Catalog.Http;

/// <summary>
/// The query an endpoint takes, and nothing else: an unknown parameter (a typo) or a repeated one (which ASP.NET Core
/// would join as "a,b") is a 400 naming it, never silently ignored or merged.
/// </summary>
public static class QueryParameters
{
    public static void Check(ValidationErrors errors, IQueryCollection query, IReadOnlyCollection<string> known)
    {
        foreach (var (name, values) in query)
        {
            if (!known.Contains(name)) errors.Add(name, "is not a known query parameter");
            else if (values.Count > 1) errors.Add(name, "must be given at most once");
        }
    }

    /// <summary>The whole check of an endpoint whose only query parameters are <paramref name="known"/>.</summary>
    public static ProblemDetails Only(IQueryCollection query, params string[] known)
    {
        var errors = new ValidationErrors();
        Check(errors, query, known);
        return errors.ToProblem();
    }
}
