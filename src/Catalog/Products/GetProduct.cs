using Catalog.Http;
using Catalog.Accounts;
using Catalog.Conventions;

namespace Catalog.Products;

[Tags("Products")]
public static class GetProductEndpoint
{
    /// <summary>The product of the route's id in the key's account: another account's product is simply not there.</summary>
    public static Task<Product?> LoadAsync(Guid id, IQuerySession session, CancellationToken token) =>
        session.LoadAsync<Product>(id, token);

    /// <summary>One product, deleted ones too (with deletedAt); none is a 404.</summary>
    [WolverineGet("/api/v1/products/{id}", OperationId = "getProduct", Summary = "Get a product (deleted ones too)")]
    [Authorize(Scopes.ProductsRead)]
    [ReadOnPrimary]
    public static Resource<ProductDetails>? Get(Product? product) => product is null ? null : new(ProductDetails.From(product));
}
