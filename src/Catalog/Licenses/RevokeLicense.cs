using Catalog.Http;
using Catalog.Accounts;
using Catalog.Conventions;
using Catalog.Policies;
using Catalog.Products;

namespace Catalog.Licenses;

[Tags("Licenses")]
public static class RevokeLicenseEndpoint
{
    /// <summary>The decision: a license is revoked once; revoking it again changes nothing.</summary>
    public static LicenseRevoked? Decide(License license, DateTimeOffset now) =>
        license.IsRevoked ? null : new LicenseRevoked(license.Id, license.ProductId, now);

    /// <summary>
    /// The license names its product, whose stream holds the license events: Wolverine loads the license (404
    /// when the account has none), then this takes the product stream's lock and reads the license again under
    /// it, so two concurrent revokes append one LicenseRevoked and licensesCount drops by one. Wolverine commits.
    /// </summary>
    [WolverinePost("/api/v1/licenses/{id}/revoke", OperationId = "revokeLicense", Summary = "Revoke a license")]
    [Authorize(Scopes.LicensesWrite)]
    [RetryOnContention]
    public static async Task<Resource<LicenseDetails>> Post(
        [Document("id")] License license, IDocumentSession session, TimeProvider time, CancellationToken token)
    {
        var stream = await session.Events.FetchForExclusiveWriting<Product>(license.ProductId, token);
        // The license's own stream too (product first, then license: no other path takes both), so no activation,
        // change or suspension decided on the license before the revocation commits after it.
        var (_, _, locked) = await LicenseStream.Lock(session, license.Id, token);
        var current = locked ?? license;

        var now = time.UtcNow();
        var policy = await session.PolicyOf(current.PolicyId, token);
        if (Decide(current, now) is not { } revoked) return new(LicenseDetails.From(current, policy, now));

        stream.AppendOne(revoked);
        return new(LicenseDetails.From(current.Apply(revoked), policy, now));
    }
}
