using System.Collections.Concurrent;
using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Reflection;
using Catalog.Conventions;
using JasperFx;
using JasperFx.CodeGeneration;
using JasperFx.CodeGeneration.Frames;
using Marten;
using Marten.Linq.MatchesSql;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace Catalog.Http;

/// <summary>
/// A page of a list: <c>cursor</c> (the last id, or sequence, of the previous page) and <c>limit</c> (1-100, default
/// 25), bound by Wolverine from the query as the endpoint's <c>[AsParameters]</c> request. A list's filters are
/// properties of a request type derived from it.
/// </summary>
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
/// Cursor pagination, the same on every list, checked once for all of them (<see cref="PagedLists"/>): unknown and
/// repeated query parameters are refused, so a typo never silently means "everything", and a limit out of range is a
/// 400. A value that does not parse is Wolverine's 400 (<c>RejectUnparseableQueryValues</c>), reworded here to name
/// the parameter.
/// </summary>
public static class Pagination
{
    public const int DefaultLimit = 25;
    public const int MaxLimit = 100;
    public const string CursorDescription = "The nextCursor of the previous page.";
    public const string LimitDescription = "Items per page, 1-100 (default 25).";

    private static readonly ConcurrentDictionary<Type, string[]> QueryNames = new();

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
    /// Newest first, by keyset on the id (UUID v7 ids grow with time): the page after a cursor holds the items with a
    /// smaller id, so a cursor keeps working when its item is deleted, and items created while a client walks the
    /// pages land before its cursor instead of shifting the pages under it.
    /// </summary>
    public static async Task<Page<TOut>> NewestFirst<T, TOut>(this IQueryable<T> query, PageRequest page, Func<T, Guid> idOf,
        Func<T, TOut> show, CancellationToken token) where T : notnull
    {
        if (page.Cursor is { } after) query = query.Where(x => x.MatchesSql("d.id < ?", after));
        var fetched = await query.OrderBySql("d.id desc").Take(page.Take + 1).ToListAsync(token);
        return Of(fetched, page.Take, show, x => idOf(x).ToString());
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

/// <summary>Every list (an endpoint whose <c>[AsParameters]</c> request is a page) checks its query by <see cref="Pagination.Check"/>.</summary>
public sealed class PagedLists : IHttpPolicy
{
    public void Apply(IReadOnlyList<HttpChain> chains, GenerationRules rules, IServiceContainer container)
    {
        foreach (var chain in chains.Where(x => IsPage(x.AsParametersType)))
            chain.AddEdgeMiddleware(rules, new MethodCall(typeof(Pagination), nameof(Pagination.Check)));
    }

    private static bool IsPage(Type? type)
    {
        for (; type is not null; type = type.BaseType)
            if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(PageRequest<>)) return true;
        return false;
    }
}
