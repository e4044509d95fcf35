using Catalog.Http;
using Catalog.Accounts;
using Catalog.Conventions;

namespace Catalog.Entitlements;

[Tags("Entitlements")]
public static class GetEntitlementEndpoint
{
    /// <summary>One entitlement of the key's account; 404 when there is none.</summary>
    [WolverineGet("/api/v1/entitlements/{id}", OperationId = "getEntitlement", Summary = "Get an entitlement")]
    [Authorize(Scopes.ProductsRead)]
    public static Resource<EntitlementDetails> Get([Document("id")] Entitlement entitlement) => new(EntitlementDetails.From(entitlement));
}

[Tags("Entitlements")]
public static class ListEntitlementsEndpoint
{
    /// <summary>The account's entitlements, newest first.</summary>
    [ReadMayLag]
    [WolverineGet("/api/v1/entitlements", OperationId = "listEntitlements", Summary = "List entitlements, newest first")]
    [Authorize(Scopes.ProductsRead)]
    public static Task<Page<EntitlementDetails>> Get([AsParameters] PageRequest page, IQuerySession session, CancellationToken token) =>
        session.Query<Entitlement>().NewestFirst(page, x => x.Id, EntitlementDetails.From, token);
}
