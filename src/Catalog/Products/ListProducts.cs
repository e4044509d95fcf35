using Catalog.Http;
using System.ComponentModel.DataAnnotations;
using System.ComponentModel;
using Catalog.Accounts;
using Catalog.Conventions;
using Catalog.Hosting;
using Marten;
using Marten.Linq.MatchesSql;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace Catalog.Products;

[Tags("Products")]
public static class ListProductsEndpoint
{
    public static ProblemDetails Validate(HttpRequest request, [FromQuery] int? limit) => Pagination.Check(request.Query, limit);

    /// <summary>
    /// Newest first, by keyset on the id (UUID v7 ids grow with time): the page after a cursor is the products
    /// with a smaller id, so a cursor keeps working when its product is deleted, and products created while a
    /// client walks the pages land before its cursor instead of shifting the pages under it.
    /// </summary>
    [ReadMayLag]
    [WolverineGet("/api/v1/products", OperationId = "listProducts", Summary = "List products, newest first")]
    [Authorize(Scopes.ProductsRead)]
    public static async Task<Page<ProductSummary>> Get(
        [FromQuery, Description(Pagination.CursorDescription)] Guid? cursor,
        [FromQuery, Description(Pagination.LimitDescription), Range(1, Pagination.MaxLimit), DefaultValue(Pagination.DefaultLimit)] int? limit,
        IQuerySession session, CancellationToken token)
    {
        var take = limit ?? Pagination.DefaultLimit;
        var query = session.Query<Product>().Where(x => x.DeletedAt == null);
        if (cursor is { } after) query = query.Where(x => x.MatchesSql("d.id < ?", after));

        var products = await query.OrderByDescending(x => x.Id).Take(take + 1).ToListAsync(token);
        return Pagination.Of(products, take, ProductSummary.From, x => x.Id.ToString());
    }
}
