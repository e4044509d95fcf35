using Catalog.Http;
using Catalog.Accounts;
using Catalog.Conventions;

namespace Catalog.Products;

[Tags("Products")]
public static class ListProductsEndpoint
{
    /// <summary>
    /// The products not deleted, newest first: the account's live-products index (Configuration.cs) read from the
    /// cursor on, the items reshaped from the stored documents' JSON as it passes (ProductAnswers.cs): the products
    /// list is the hottest list.
    /// </summary>
    [ReadMayLag]
    [WolverineGet("/api/v1/products", OperationId = "listProducts", Summary = "List products, newest first")]
    [Authorize(Scopes.ProductsRead)]
    [ProducesResponseType<Page<ProductSummary>>(200)]
    public static Task<IResult> Get([AsParameters] PageRequest page, AccountSource source, ProductAnswers answers, CancellationToken token) =>
        StoredAnswers.Page(source, answers.LivePage, ProductAnswers.Summary, page, token);
}
