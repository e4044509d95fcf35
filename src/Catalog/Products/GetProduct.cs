using Catalog.Accounts;
using Catalog.Conventions;

namespace Catalog.Products;

[Tags("Products")]
public static class GetProductEndpoint
{
    /// <summary>
    /// One product, deleted ones too (with deletedAt). Wolverine loads the document by the route's id in the
    /// key's account and answers 404 when there is none: another account's product is simply not there.
    /// </summary>
    [WolverineGet("/api/v1/products/{id}", OperationId = "getProduct", Summary = "Get a product (deleted ones too)")]
    [Authorize(Scopes.ProductsRead)]
    public static Resource<ProductDetails> Get([Document("id")] Product product) => new(ProductDetails.From(product));
}
