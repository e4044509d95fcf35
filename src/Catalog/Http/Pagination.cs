using Catalog.Conventions;
using Microsoft.AspNetCore.Mvc;

namespace Catalog.Http;

/// <summary>
/// Cursor pagination, the same on every list: <c>cursor</c> (the last id, or sequence, of the previous page) and
/// <c>limit</c> (1-100, default 25), bound by Wolverine as typed query parameters; a value that does not parse is
/// Wolverine's 400 (<c>RejectUnparseableQueryValues</c>), reworded here to name the parameter. Unknown parameters and
/// repeated ones are refused, so a typo never silently means "everything".
/// </summary>
public static class Pagination
{
    public const int DefaultLimit = 25;
    public const int MaxLimit = 100;
    public const string CursorDescription = "The nextCursor of the previous page.";
    public const string LimitDescription = "Items per page, 1-100 (default 25).";

    /// <summary>Refuses unknown or repeated query parameters and a limit out of range; every list takes cursor and limit.</summary>
    public static ProblemDetails Check(IQueryCollection query, int? limit, params string[] otherParameters)
    {
        var errors = new ValidationErrors();
        QueryParameters.Check(errors, query, ["cursor", "limit", .. otherParameters]);
        if (limit is < 1 or > MaxLimit || (limit is null && query.TryGetValue("limit", out var given) && given.Count == 1))
            errors.Add("limit", $"must be a whole number from 1 to {MaxLimit}");
        return errors.ToProblem();
    }

    /// <summary>
    /// The page from up to <c>limit</c> + 1 rows fetched: the extra row only tells that another page exists, without
    /// counting.
    /// </summary>
    public static Page<TOut> Of<T, TOut>(IReadOnlyList<T> fetched, int limit, Func<T, TOut> show, Func<T, string> cursorOf)
    {
        var hasMore = fetched.Count > limit;
        var items = fetched.Take(limit).ToList();
        return new Page<TOut>(items.Select(show).ToList(), new PageInfo(hasMore ? cursorOf(items[^1]) : null, hasMore));
    }

    /// <summary>Wolverine's 400 for a query value that does not parse, naming the parameter as every other 400 does.</summary>
    public static void DescribeUnparseableQueryValue(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        if (problem.Status != 400 || problem.Title != "Invalid query string value"
            || !problem.Extensions.Remove("parameter", out var name) || name is not string parameter) return;

        Problems.RewordAsValidation(problem, parameter, parameter switch
        {
            "limit" => $"must be a whole number from 1 to {MaxLimit}",
            "cursor" => "must be the nextCursor of a previous page",
            _ => "is not a valid value"
        });
    }
}
