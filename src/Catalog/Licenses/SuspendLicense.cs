using Catalog.Http;
using Catalog.Accounts;
using Catalog.Conventions;
using Catalog.Policies;

namespace Catalog.Licenses;

[Tags("Licenses")]
public static class SuspendLicenseEndpoint
{
    /// <summary>The decision: a license is suspended once; again changes nothing; a revoked one cannot be.</summary>
    public static (LicenseSuspended? Suspended, ProblemDetails? Refusal) Decide(License license, DateTimeOffset now) =>
        license.IsRevoked ? (null, Problems.Status(409, "The license has been revoked: there is nothing to suspend."))
        : license.IsSuspended ? (null, null)
        : (new LicenseSuspended(license.Id, license.ProductId, now), null);

    /// <summary>
    /// Suspends a license (an unpaid invoice, say): it stops validating (SUSPENDED) and activating, and its machines
    /// stay. Idempotent. Under the license stream's lock, so no activation passes once it has committed.
    /// </summary>
    [WolverinePost("/api/v1/licenses/{id}/suspend", OperationId = "suspendLicense", Summary = "Suspend a license")]
    [Authorize(Scopes.LicensesWrite)]
    [IdempotentByNature]
    [Refuses(409, "The license has been revoked.")]
    [RetryOnContention]
    [ProducesResponseType<Resource<LicenseDetails>>(200)]
    public static async Task<IResult> Post([Document("id")] License license, IDocumentSession session, TimeProvider time, CancellationToken token)
    {
        var (stream, _, locked) = await LicenseStream.Lock(session, license.Id, token);
        var current = locked ?? license;
        var now = time.UtcNow();
        var (suspended, refusal) = Decide(current, now);
        if (refusal is not null) return Results.Problem(refusal);
        if (suspended is not null) stream.AppendOne(suspended);
        return Results.Json(new Resource<LicenseDetails>(LicenseDetails.From(suspended is null ? current : current.Apply(suspended), await session.PolicyOf(current.PolicyId, token), now)), ApiJson.Options);
    }
}

[Tags("Licenses")]
public static class ReinstateLicenseEndpoint
{
    /// <summary>The decision: a suspended license is reinstated; any other is left as it is; a revoked one cannot be.</summary>
    public static (LicenseReinstated? Reinstated, ProblemDetails? Refusal) Decide(License license, DateTimeOffset now) =>
        license.IsRevoked ? (null, Problems.Status(409, "The license has been revoked: it cannot be reinstated."))
        : license.IsSuspended ? (new LicenseReinstated(license.Id, license.ProductId, now), null)
        : (null, null);

    /// <summary>Lifts a suspension. Idempotent: a license not suspended is answered as it is.</summary>
    [WolverinePost("/api/v1/licenses/{id}/reinstate", OperationId = "reinstateLicense", Summary = "Reinstate a suspended license")]
    [Authorize(Scopes.LicensesWrite)]
    [IdempotentByNature]
    [Refuses(409, "The license has been revoked.")]
    [RetryOnContention]
    [ProducesResponseType<Resource<LicenseDetails>>(200)]
    public static async Task<IResult> Post([Document("id")] License license, IDocumentSession session, TimeProvider time,
        CancellationToken token)
    {
        var (stream, _, locked) = await LicenseStream.Lock(session, license.Id, token);
        var current = locked ?? license;
        var now = time.UtcNow();
        var (reinstated, refusal) = Decide(current, now);
        if (refusal is not null) return Results.Problem(refusal);
        if (reinstated is not null) stream.AppendOne(reinstated);
        return Results.Json(new Resource<LicenseDetails>(LicenseDetails.From(reinstated is null ? current : current.Apply(reinstated), await session.PolicyOf(current.PolicyId, token), now)), ApiJson.Options);
    }
}
