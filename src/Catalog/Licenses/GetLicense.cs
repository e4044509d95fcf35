using Catalog.Accounts;
using Catalog.Conventions;
using Catalog.Policies;

namespace Catalog.Licenses;

[Tags("Licenses")]
public static class GetLicenseEndpoint
{
    /// <summary>One license of the key's account; Wolverine answers 404 when there is none.</summary>
    [WolverineGet("/api/v1/licenses/{id}", OperationId = "getLicense", Summary = "Get a license")]
    [Authorize(Scopes.LicensesRead)]
    public static async Task<Resource<LicenseDetails>> Get([Document("id")] License license, IQuerySession session, TimeProvider time,
        CancellationToken token) =>
        new(LicenseDetails.From(license, await session.PolicyOf(license.PolicyId, token), time.GetUtcNow()));
}
