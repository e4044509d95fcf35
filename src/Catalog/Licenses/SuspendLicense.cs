using Catalog.Http;
using Catalog.Accounts;
using Catalog.Conventions;

namespace Catalog.Licenses;

[Tags("Licenses")]
public static class SuspendLicenseEndpoint
{
    /// <summary>The decision: a license is suspended once; again changes nothing; a revoked one cannot be.</summary>
    public static (LicenseSuspended? Suspended, ProblemDetails? Refusal) Decide(License license, DateTimeOffset now) =>
        license.IsRevoked ? (null, Problems.Status(409, "The license has been revoked: there is nothing to suspend."))
        : license.IsSuspended ? (null, null)
        : (new LicenseSuspended(license.Id, license.ProductId, now), null);

    public static Task<LockedLicense> LoadAsync(Guid id, IDocumentSession session, CancellationToken token) =>
        LockedLicense.Take(session, id, token);

    public static ProblemDetails Validate([NotBody] LockedLicense locked, TimeProvider time) =>
        locked.Refusal(license => Decide(license, time.UtcNow()).Refusal);

    /// <summary>
    /// Suspends a license (an unpaid invoice, say): it stops validating (SUSPENDED) and activating, and its machines
    /// stay. Idempotent. Under the license stream's lock, so no activation passes once it has committed.
    /// </summary>
    [WolverinePost("/api/v1/licenses/{id}/suspend", OperationId = "suspendLicense", Summary = "Suspend a license")]
    [Authorize(Scopes.LicensesWrite)]
    [Refuses(404, "No such license.")]
    [Refuses(409, "The license has been revoked.")]
    [RetryOnContention]
    public static Resource<LicenseDetails> Post([NotBody] LockedLicense locked, TimeProvider time)
    {
        var now = time.UtcNow();
        var (suspended, _) = Decide(locked.License!, now);
        if (suspended is not null) locked.Stream.AppendOne(suspended);
        return locked.Answer(suspended is null ? locked.License! : locked.License!.Apply(suspended), now);
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

    public static Task<LockedLicense> LoadAsync(Guid id, IDocumentSession session, CancellationToken token) =>
        LockedLicense.Take(session, id, token);

    public static ProblemDetails Validate([NotBody] LockedLicense locked, TimeProvider time) =>
        locked.Refusal(license => Decide(license, time.UtcNow()).Refusal);

    /// <summary>Lifts a suspension. Idempotent: a license not suspended is answered as it is.</summary>
    [WolverinePost("/api/v1/licenses/{id}/reinstate", OperationId = "reinstateLicense", Summary = "Reinstate a suspended license")]
    [Authorize(Scopes.LicensesWrite)]
    [Refuses(404, "No such license.")]
    [Refuses(409, "The license has been revoked.")]
    [RetryOnContention]
    public static Resource<LicenseDetails> Post([NotBody] LockedLicense locked, TimeProvider time)
    {
        var now = time.UtcNow();
        var (reinstated, _) = Decide(locked.License!, now);
        if (reinstated is not null) locked.Stream.AppendOne(reinstated);
        return locked.Answer(reinstated is null ? locked.License! : locked.License!.Apply(reinstated), now);
    }
}
