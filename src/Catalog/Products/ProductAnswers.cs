using Catalog.Http;

namespace Catalog.Products;

/// <summary>
/// A product's answers as PostgreSQL writes them from the stored document (<see cref="StoredAnswers"/>): the JSON of
/// <see cref="ProductDetails"/> and <see cref="ProductSummary"/>, which document them and which a write's answer still
/// serializes. <c>ProductAnswersAreTheRecords</c> holds the two to the same JSON.
/// </summary>
public sealed class ProductAnswers
{
    /// <summary><c>{"data": product}</c> of the account <c>$1</c> and the id <c>$2</c>, as <c>bytea</c>.</summary>
    public string ById { get; }

    /// <summary>The live products' page (<see cref="StoredAnswers.Page"/>): the live-products index read from the cursor on.</summary>
    public string LivePage { get; }

    public ProductAnswers(IDocumentStore store)
    {
        var table = store.Options.FindOrResolveDocumentType(typeof(Product)).TableName.QualifiedName;
        ById = $"""
            select convert_to(json_build_object('data', json_build_object(
                'id', d.id, 'name', d.data -> 'Name', 'code', d.data -> 'Code', 'description', d.data -> 'Description',
                'keyPrefix', d.data -> 'KeyPrefix', 'accountId', d.data -> 'AccountId', 'licensesCount', d.data -> 'LicensesCount',
                {Timestamps}, 'metadata', d.data -> 'Metadata'))::text, 'UTF8')
            from {table} d where d.tenant_id = $1 and d.id = $2
            """;
        LivePage = $"""
            select d.id, convert_to(json_build_object(
                'id', d.id, 'name', d.data -> 'Name', 'code', d.data -> 'Code', 'keyPrefix', d.data -> 'KeyPrefix',
                'licensesCount', d.data -> 'LicensesCount', {Timestamps}, 'metadata', d.data -> 'Metadata')::text, 'UTF8')
            from {table} d where d.tenant_id = $1 and (d.data ->> 'DeletedAt') is null and d.id < $2 order by d.id desc limit $3
            """;
    }

    private static readonly string Timestamps =
        $"'createdAt', {StoredAnswers.Timestamp("d.data ->> 'CreatedAt'")}, 'updatedAt', {StoredAnswers.Timestamp("d.data ->> 'UpdatedAt'")}, " +
        $"'deletedAt', {StoredAnswers.Timestamp("d.data ->> 'DeletedAt'")}";
}
