using Catalog.Http;

namespace Catalog.Products;

/// <summary>
/// A product's reads answered from the stored document's JSON (<see cref="StoredAnswers"/>), in the shapes of
/// <see cref="ProductDetails"/> and <see cref="ProductSummary"/>, which document them and which a write's answer
/// serializes. <c>ProductAnswersAreTheRecords</c> holds the two to the same JSON.
/// </summary>
public sealed class ProductAnswers
{
    public static readonly AnswerShape Details = AnswerShape.Of<ProductDetails>();
    public static readonly AnswerShape Summary = AnswerShape.Of<ProductSummary>();

    /// <summary>The product of the account <c>$1</c> and the id <c>$2</c>: its stored document.</summary>
    public string ById { get; }

    /// <summary>The live products' page (<see cref="StoredAnswers.Page"/>): the live-products index read from the cursor on.</summary>
    public string LivePage { get; }

    public ProductAnswers(IDocumentStore store)
    {
        var table = store.Options.FindOrResolveDocumentType(typeof(Product)).TableName.QualifiedName;
        ById = $"select d.data from {table} d where d.tenant_id = $1 and d.id = $2";
        LivePage = $"select d.id, d.data from {table} d where d.tenant_id = $1 and (d.data ->> 'DeletedAt') is null and d.id < $2 order by d.id desc limit $3";
    }
}
