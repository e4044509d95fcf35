using Catalog.Http;
using Catalog.Accounts;
using Catalog.Conventions;

namespace Catalog.Policies;

[Tags("Policies")]
public static class DeletePolicyEndpoint
{
    /// <summary>
    /// Soft delete: the policy stays readable with deletedAt set, its licenses keep it (and its rules), and no new
    /// license takes it. Deleting it again is a 204 that appends nothing.
    /// </summary>
    [WolverineDelete("/api/v1/policies/{id}", OperationId = "deletePolicy", Summary = "Delete a policy (soft)")]
    [Authorize(Scopes.ProductsWrite)]
    [RetryOnContention]
    [EmptyResponse]
    public static Events Delete([Aggregate("id", LoadStyle = ConcurrencyStyle.Exclusive)] Policy policy, TimeProvider time) =>
        policy.IsDeleted ? [] : [new PolicyDeleted(policy.Id, policy.ProductId, time.UtcNow())];
}
