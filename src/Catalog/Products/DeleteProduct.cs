using Catalog.Http;
using Catalog.Accounts;
using Catalog.Conventions;

namespace Catalog.Products;

[Tags("Products")]
public static class DeleteProductEndpoint
{
    /// <summary>
    /// Soft delete: the product stays readable with deletedAt set, its code stays reserved, and it takes no new
    /// licenses. Deleting it again is a 204 that appends nothing.
    /// </summary>
    [WolverineDelete("/api/v1/products/{id}", OperationId = "deleteProduct", Summary = "Delete a product (soft)")]
    [Authorize(Scopes.ProductsWrite)]
    [RetryOnContention]
    [EmptyResponse]
    public static Events Delete([Aggregate("id", LoadStyle = ConcurrencyStyle.Exclusive)] Product product, TimeProvider time) =>
        product.IsDeleted ? [] : [new ProductDeleted(product.Id, time.UtcNow())];
}
