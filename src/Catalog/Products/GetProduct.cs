using Catalog.Http;
using Catalog.Accounts;
using Catalog.Conventions;

namespace Catalog.Products;

[Tags("Products")]
public static class GetProductEndpoint
{
    /// <summary>
    /// One product, deleted ones too (with deletedAt); none is a 404. Another account's product is simply not there.
    /// The answer is the stored document's JSON, reshaped as it passes (ProductAnswers.cs).
    /// </summary>
    [WolverineGet("/api/v1/products/{id}", OperationId = "getProduct", Summary = "Get a product (deleted ones too)")]
    [Authorize(Scopes.ProductsRead)]
    [ReadOnPrimary]
    [ProducesResponseType<Resource<ProductDetails>>(200)]
    public static Task<IResult> Get(Guid id, AccountSource source, ProductAnswers answers, CancellationToken token) =>
        StoredAnswers.One(source, answers.ById, ProductAnswers.Details, token, id);
}
