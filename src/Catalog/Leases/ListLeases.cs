using Catalog.Accounts;
using Catalog.Conventions;
using Catalog.Http;
using Catalog.Licenses;
using License = Catalog.Licenses.License;

namespace Catalog.Leases;

[Tags("Leases")]
public static class GetLeaseEndpoint
{
    /// <summary>A live lease (404 once it has ended: released, or past its expiry).</summary>
    [WolverineGet("/api/v1/leases/{id}", OperationId = "getLease", Summary = "Get a lease")]
    [Authorize(Scopes.LicensesRead)]
    [ProducesResponseType<Resource<LeaseDetails>>(200)]
    public static IResult Get([Document("id")] Lease lease, TimeProvider time) =>
        lease.LivesAt(time.UtcNow())
            ? Results.Json(new Resource<LeaseDetails>(LeaseDetails.From(lease)), ApiJson.Options)
            : Results.Problem(LeaseRules.Ended());
}

[Tags("Leases")]
public static class ListLeasesEndpoint
{
    /// <summary>The license's live leases, newest first (one past its expiry is not listed, swept or not). 404 for another account's license.</summary>
    [WolverineGet("/api/v1/licenses/{id}/leases", OperationId = "listLeases", Summary = "List a license's leases")]
    [Authorize(Scopes.LicensesRead)]
    public static Task<Page<LeaseDetails>> Get([Document("id")] License license, [AsParameters] PageRequest page, IQuerySession session,
        TimeProvider time, CancellationToken token)
    {
        var now = time.UtcNow();
        return session.Query<Lease>().Where(x => x.LicenseId == license.Id && x.ExpiresAt > now)
            .NewestFirst(page, x => x.Id, LeaseDetails.From, token);
    }
}
