using Catalog.Http;
using Catalog.Accounts;
using Catalog.Conventions;

namespace Catalog.Products;

[Tags("Products")]
public static class ListProductsEndpoint
{
    /// <summary>The products not deleted, newest first.</summary>
    [ReadMayLag]
    [WolverineGet("/api/v1/products", OperationId = "listProducts", Summary = "List products, newest first")]
    [Authorize(Scopes.ProductsRead)]
    public static Task<Page<ProductSummary>> Get([AsParameters] PageRequest page, IQuerySession session, CancellationToken token) =>
        session.Query<Product>().Where(x => x.DeletedAt == null).NewestFirst(page, x => x.Id, ProductSummary.From, token);
}
