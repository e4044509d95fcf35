using System.Collections.Concurrent;
using System.ComponentModel;
using System.Reflection;
using Catalog.Conventions;
using Marten.Linq.MatchesSql;

namespace Catalog.Http;

/// <summary>A list's <c>[AsParameters]</c> query: <c>cursor</c> and <c>limit</c>; its filters in a type derived from it.</summary>
public record PageRequest<TCursor> where TCursor : struct
{
    [FromQuery(Name = "cursor"), Description(Pagination.CursorDescription)]
    public TCursor? Cursor { get; set; }

    [FromQuery(Name = "limit"), Description(Pagination.LimitDescription), Range(1, Pagination.MaxLimit), DefaultValue(Pagination.DefaultLimit)]
    public int? Limit { get; set; }

    public int Take => Limit ?? Pagination.DefaultLimit;
}

/// <summary>A page of a list keyed by UUID v7 ids, newest first.</summary>
public record PageRequest : PageRequest<Guid>;

/// <summary>
/// Cursor pagination, the same on every list: unknown or repeated parameters and a limit out of range are a 400, so a
/// typo never means "everything". Wolverine's 400 for a value that does not parse is reworded to name the parameter.
/// </summary>
public static class Pagination
{
    public const int DefaultLimit = 25;
    public const int MaxLimit = 100;
    public const string CursorDescription = "The nextCursor of the previous page.";
    public const string LimitDescription = "Items per page, 1-100 (default 25).";

    private static readonly ConcurrentDictionary<Type, string[]> QueryNames = new();

    /// <summary>Every list: an endpoint whose <c>[AsParameters]</c> request is a page.</summary>
    public static readonly IHttpPolicy OnEveryList = new EdgePolicy(x => IsPage(x.AsParametersType), typeof(Pagination), nameof(Check));

    private static bool IsPage(Type? type)
    {
        for (; type is not null; type = type.BaseType)
            if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(PageRequest<>)) return true;
        return false;
    }

    /// <summary>Refuses a query parameter the list does not take, or takes twice, and a limit out of range.</summary>
    public static ProblemDetails Check(HttpContext context)
    {
        var request = context.GetEndpoint()?.Metadata.GetMetadata<HttpChain>()?.AsParametersType;
        var errors = new ValidationErrors();
        QueryParameters.Check(errors, context.Request.Query, request is null ? [] : QueryNames.GetOrAdd(request, NamesOf));
        if (context.Request.Query.TryGetValue("limit", out var given) && given.Count == 1
            && (!int.TryParse(given, out var limit) || limit is < 1 or > MaxLimit))
            errors.Add("limit", $"must be a whole number from 1 to {MaxLimit}");
        return errors.ToProblem();
    }

    private static string[] NamesOf(Type request) =>
        request.GetProperties().Select(x => x.GetCustomAttribute<FromQueryAttribute>()).OfType<FromQueryAttribute>()
            .Select(x => x.Name!).ToArray();

    /// <summary>
    /// Newest first, by keyset on the UUID v7 id: a cursor survives its item's deletion, and items created meanwhile
    /// land before it instead of shifting the pages.
    /// </summary>
    public static async Task<Page<TOut>> NewestFirst<T, TOut>(this IQueryable<T> query, PageRequest page, Func<T, Guid> idOf,
        Func<T, TOut> show, CancellationToken token) where T : notnull
    {
        if (page.Cursor is { } after) query = query.Where(x => x.MatchesSql("d.id < ?", after));
        var fetched = await query.OrderBySql("d.id desc").Take(page.Take + 1).ToListAsync(token);
        return Of(fetched, page.Take, show, x => idOf(x).ToString());
    }

    /// <summary>Greater than every id: the first page's cursor.</summary>
    public static readonly Guid AfterEveryId = Guid.AllBitsSet;

    /// <summary>The page from up to <c>limit</c> + 1 rows: the extra one tells that another page exists, without counting.</summary>
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
