using Catalog.Accounts;
using Catalog.Conventions;
using Marten;
using Marten.Linq.MatchesSql;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace Catalog.Products;

public static class ListProductsEndpoint
{
    /// <summary>
    /// Newest first, by keyset on the id (UUID v7 ids grow with time): the page after a cursor is the products
    /// with a smaller id, so a cursor keeps working when its product is deleted, and products created while a
    /// client walks the pages land before its cursor instead of shifting the pages under it.
    /// </summary>
    [WolverineGet("/api/v1/products")]
    [Authorize(Scopes.ProductsRead)]
    [ProducesResponseType<Page<ProductSummary>>(StatusCodes.Status200OK, "application/json")]
    public static async Task<IResult> Get(HttpRequest request, IQuerySession session, CancellationToken token)
    {
        if (!PageRequest.TryParse(request.Query, out var page, out var problem)) return Results.Problem(problem);

        var query = session.Query<Product>().Where(x => x.DeletedAt == null);
        if (page.Cursor is { } cursor) query = query.Where(x => x.MatchesSql("d.id < ?", cursor));

        var products = await query.OrderByDescending(x => x.Id).Take(page.Limit + 1).ToListAsync(token);
        return Results.Ok(page.Of(products, ProductSummary.From, x => x.Id.ToString()));
    }
}
