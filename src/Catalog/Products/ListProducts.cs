using Catalog.Http;
using Catalog.Accounts;
using Catalog.Conventions;

namespace Catalog.Products;

[Tags("Products")]
public static class ListProductsEndpoint
{
    /// <summary>
    /// The products not deleted, newest first: the account's live-products index (Configuration.cs) read from the
    /// cursor on, in SQL (the products list is the hottest list).
    /// </summary>
    [ReadMayLag]
    [WolverineGet("/api/v1/products", OperationId = "listProducts", Summary = "List products, newest first")]
    [Authorize(Scopes.ProductsRead)]
    public static Task<Page<ProductSummary>> Get([AsParameters] PageRequest page, IQuerySession session, CancellationToken token) =>
        session.NewestFirst<Product, ProductSummary>("(d.data ->> 'DeletedAt') is null", page, x => x.Id, ProductSummary.From, token);
}
