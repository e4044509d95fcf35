using Microsoft.AspNetCore.Mvc;

namespace Catalog.Conventions;

/// <summary>
/// The query of a cursor-paginated list: <c>cursor</c> (the last id of the previous page) and <c>limit</c>
/// (1-100, default 25). Unknown parameters and repeated ones are refused, so a typo never silently means
/// "everything".
/// </summary>
public sealed record PageRequest<TCursor>(TCursor? Cursor, int Limit) where TCursor : struct
{
    /// <summary>
    /// The page from up to <see cref="Limit"/> + 1 rows fetched: the extra row only tells that another page exists,
    /// without counting.
    /// </summary>
    public Page<TOut> Of<T, TOut>(IReadOnlyList<T> fetched, Func<T, TOut> show, Func<T, string> cursorOf)
    {
        var hasMore = fetched.Count > Limit;
        var items = fetched.Take(Limit).ToList();
        return new Page<TOut>(items.Select(show).ToList(), new Pagination(hasMore ? cursorOf(items[^1]) : null, hasMore));
    }
}

public static class PageRequest
{
    public const int DefaultLimit = 25;
    public const int MaxLimit = 100;

    /// <summary>A list whose cursor is the last item's id.</summary>
    public static bool TryParse(IQueryCollection query, out PageRequest<Guid> page, out ProblemDetails problem,
        params string[] otherParameters) =>
        TryParse(query, text => Guid.TryParseExact(text, "D", out var id) ? id : null,
            "must be the nextCursor of a previous page (a UUID)", out page, out problem, otherParameters);

    /// <summary>A list whose cursor is the last item's sequence number.</summary>
    public static bool TryParseSequence(IQueryCollection query, out PageRequest<long> page, out ProblemDetails problem,
        params string[] otherParameters) =>
        TryParse(query, text => long.TryParse(text, System.Globalization.NumberStyles.None, null, out var n) ? n : null,
            "must be the nextCursor of a previous page (a sequence number)", out page, out problem, otherParameters);

    private static bool TryParse<TCursor>(IQueryCollection query, Func<string, TCursor?> parseCursor, string cursorRule,
        out PageRequest<TCursor> page, out ProblemDetails problem, string[] otherParameters) where TCursor : struct
    {
        var errors = new ValidationErrors();
        foreach (var (name, values) in query)
        {
            if (name is not ("cursor" or "limit") && !otherParameters.Contains(name))
                errors.Add(name, "is not a known query parameter");
            else if (values.Count > 1)
                errors.Add(name, "must be given at most once");
        }

        TCursor? cursor = null;
        if (query.TryGetValue("cursor", out var cursorText) && cursorText.Count == 1 && cursorText[0] is { Length: > 0 } c)
        {
            cursor = parseCursor(c);
            if (cursor is null) errors.Add("cursor", cursorRule);
        }

        var limit = DefaultLimit;
        if (query.TryGetValue("limit", out var limitText) && limitText.Count == 1)
        {
            if (!int.TryParse(limitText[0], System.Globalization.NumberStyles.None, null, out limit) || limit is < 1 or > MaxLimit)
                errors.Add("limit", $"must be a whole number from 1 to {MaxLimit}");
        }

        page = new PageRequest<TCursor>(cursor, limit);
        problem = errors.ToProblem();
        return !errors.Any;
    }
}
