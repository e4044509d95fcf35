using Catalog.Http;
using Catalog.Accounts;
using Catalog.Conventions;
using Catalog.Products;

namespace Catalog.Policies;

[Tags("Policies")]
public static class GetPolicyEndpoint
{
    /// <summary>One policy of the key's account, deleted ones too (with deletedAt).</summary>
    [WolverineGet("/api/v1/policies/{id}", OperationId = "getPolicy", Summary = "Get a policy (deleted ones too)")]
    [Authorize(Scopes.ProductsRead)]
    public static Resource<PolicyDetails> Get([Document("id")] Policy policy) => new(PolicyDetails.From(policy));
}

[Tags("Policies")]
public static class ListPoliciesEndpoint
{
    /// <summary>The product's policies not deleted, newest first (404 for another account's product).</summary>
    [ReadMayLag]
    [WolverineGet("/api/v1/products/{id}/policies", OperationId = "listPolicies", Summary = "List a product's policies, newest first")]
    [Authorize(Scopes.ProductsRead)]
    public static Task<Page<PolicyDetails>> Get([Document("id")] Product product, [AsParameters] PageRequest page, IQuerySession session,
        CancellationToken token) =>
        session.Query<Policy>().Where(x => x.ProductId == product.Id && x.DeletedAt == null).NewestFirst(page, x => x.Id, PolicyDetails.From, token);
}
