using Catalog.Http;
using Catalog.Accounts;
using Catalog.Conventions;
using Catalog.Policies;

namespace Catalog.Licenses;

[Tags("Licenses")]
public static class GetLicenseEndpoint
{
    /// <summary>The license of the route's id in the key's account: another account's license is simply not there.</summary>
    public static Task<License?> LoadAsync(Guid id, IQuerySession session, CancellationToken token) => session.LoadAsync<License>(id, token);

    /// <summary>One license of the key's account; none is a 404.</summary>
    [WolverineGet("/api/v1/licenses/{id}", OperationId = "getLicense", Summary = "Get a license")]
    [Authorize(Scopes.LicensesRead)]
    [ReadOnPrimary]
    public static async Task<Resource<LicenseDetails>?> Get(License? license, IQuerySession session, TimeProvider time,
        CancellationToken token) =>
        license is null ? null : new(LicenseDetails.From(license, await session.PolicyOf(license.PolicyId, token), time.GetUtcNow()));
}
