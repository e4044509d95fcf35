using Catalog.Http;
using Catalog.Accounts;
using Catalog.Conventions;

namespace Catalog.Entitlements;

[Tags("Entitlements")]
public static class DeleteEntitlementEndpoint
{
    /// <summary>An entitlement a live policy or a license grants stays: 409 naming what grants it.</summary>
    public static async Task<ProblemDetails> ValidateAsync(Entitlement entitlement, IDocumentSession session,
        IEnumerable<IEntitlementGrants> grants, CancellationToken token)
    {
        foreach (var grant in grants)
            if (await grant.GrantOf(session, entitlement.Code, token) is { } granter)
                return Problems.Status(409, $"The entitlement '{entitlement.Code}' is granted by {granter}: take it away there first.");
        return WolverineContinue.NoProblems;
    }

    /// <summary>Deletes the entitlement for good (its code is free again); 404 once it is gone.</summary>
    [WolverineDelete("/api/v1/entitlements/{id}", OperationId = "deleteEntitlement", Summary = "Delete an entitlement")]
    [Authorize(Scopes.ProductsWrite)]
    [Refuses(409, "A live policy or a license grants it.")]
    [RetryOnContention]
    [EmptyResponse]
    public static Events Delete([Aggregate("id", LoadStyle = ConcurrencyStyle.Exclusive)] Entitlement entitlement, TimeProvider time) =>
        [new EntitlementDeleted(entitlement.Id, entitlement.Code, time.UtcNow())];
}
