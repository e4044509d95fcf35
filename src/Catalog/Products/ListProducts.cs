using Catalog.Http;
using Catalog.Accounts;
using Catalog.Conventions;

namespace Catalog.Products;

[Tags("Products")]
public static class ListProductsEndpoint
{
    /// <summary>
    /// The products not deleted, newest first: the account's live-products index (Configuration.cs) read from the
    /// cursor on. In SQL rather than LINQ: Marten parses and plans a LINQ query again on every request, which was a
    /// third of this list's CPU in a perf profile.
    /// </summary>
    [ReadMayLag]
    [WolverineGet("/api/v1/products", OperationId = "listProducts", Summary = "List products, newest first")]
    [Authorize(Scopes.ProductsRead)]
    public static async Task<Page<ProductSummary>> Get([AsParameters] PageRequest page, IQuerySession session, CancellationToken token)
    {
        var fetched = await session.QueryAsync<Product>(
            "where d.tenant_id = ? and (d.data ->> 'DeletedAt') is null and d.id < ? order by d.id desc limit ?", token,
            session.TenantId, page.Cursor ?? Pagination.AfterEveryId, page.Take + 1);
        return Pagination.Of(fetched, page.Take, ProductSummary.From, x => x.Id.ToString());
    }
}
