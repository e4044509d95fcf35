using System.ComponentModel;
using System.Security.Claims;
using Catalog.Accounts;
using Catalog.Conventions;
using Catalog.Http;
using Catalog.Licenses;
using Catalog.Machines;
using Catalog.Validation;

namespace Catalog.Leases;

/// <summary>
/// A lease and its license under the license stream's lock, as every change of a lease is decided: a renewal, a release
/// and the sweep's expiry queue there, so a lease renewed in time is never recorded expired, and none ends twice.
/// The lease is null when the license has none with that id. <see cref="Now"/>: the instant every decision on it is
/// made at, read once under the lock (a renewal's check and its write must not straddle the lease's expiry).
/// </summary>
public sealed record LockedLease(LockedLicense Locked, Lease? Lease, DateTimeOffset Now)
{
    /// <summary>The lock, then the license with its product and policy in its one read, then the lease.</summary>
    public static async Task<LockedLease> Take(IDocumentSession session, LicenseInOneRead licenses, Guid licenseId, Guid leaseId,
        TimeProvider time, CancellationToken token)
    {
        var (stream, _, _) = await LicenseStream.Lock(session, licenseId, token, withLicense: false);
        var found = await licenses.ById(session, licenseId, null, token);
        var lease = await session.LoadAsync<Lease>(leaseId, token);
        return new(new LockedLicense(stream, found?.License, found?.Policy, found?.Product), lease?.LicenseId == licenseId ? lease : null,
            time.UtcNow());
    }

    /// <summary>The client's refusals before the lease's own: another product's license (403), then an ended lease (404).</summary>
    public ProblemDetails ClientRefusal(string? productCode, Func<ProblemDetails?> decide) =>
        Locked.Refusal(_ => LicensedProduct.Mismatches(Locked.Product, productCode) ? LicensedProduct.Refusal() : decide());

    /// <summary>Ends the lease now (204), or 404 when it has ended already. A borrowed lease returned early gives its machine back to heartbeats from now.</summary>
    public async Task<IResult> Release(IDocumentSession session, string by, CancellationToken token)
    {
        var now = Now;
        if (Locked.License is not { } license || LeaseRules.Release(Lease, license, by, now) is not { } released)
            return Results.Problem(LeaseRules.Ended());
        Locked.Stream.AppendOne(released);
        if (Lease!.Borrowed && Lease.MachineId is { } machine && await session.LoadAsync<MachineHeartbeat>(machine, token) is { } beat)
        {
            // Back online: its heartbeat clock runs again from now.
            session.Store(HeartbeatRules.Stamped(beat with { BorrowedUntil = null, LastAt = now }, Locked.Policy));
        }
        return Results.NoContent();
    }
}

[Tags("Client")]
public static class RenewThisLeaseEndpoint
{
    public static ProblemDetails Before(HttpRequest request, ThisLease? command)
    {
        if (QueryParameters.Only(request.Query) is { Status: 400 } refused) return refused;
        var errors = new ValidationErrors();
        LicensedProduct.CheckIfGiven(errors, command?.Product);
        return errors.ToProblem();
    }

    public static Task<LockedLease> LoadAsync(Guid id, ClaimsPrincipal user, IDocumentSession session, LicenseInOneRead licenses, TimeProvider time,
        CancellationToken token) =>
        LockedLease.Take(session, licenses, user.License(), id, time, token);

    public static ProblemDetails Validate(ThisLease? command, [NotBody] LockedLease locked) =>
        locked.ClientRefusal(command?.Product, () =>
            LeaseRules.Renew(locked.Lease, locked.Locked.License!, locked.Locked.Product, locked.Locked.Policy, locked.Now).Refusal);

    /// <summary>Extends a live lease to the policy's <c>leaseSeconds</c> from now. 404 once it has ended (released, or expired): take a new one.</summary>
    [WolverinePost("/api/v1/client/leases/{id}/renew", OperationId = "renewThisLease", Summary = "Renew a lease (license key)")]
    [Authorize(CatalogClaims.LicenseKeyPolicy)]
    [RetryOnContention]
    [Refuses(403, "`code` is PRODUCT_MISMATCH, PRODUCT_DELETED, SUSPENDED or EXPIRED.")]
    [Refuses(404, "No such lease of this license, or it has ended.")]
    public static Resource<LeaseDetails> Post(ThisLease? command, [NotBody] LockedLease locked, IDocumentSession session)
    {
        var renewed = LeaseRules.Renew(locked.Lease, locked.Locked.License!, locked.Locked.Product, locked.Locked.Policy, locked.Now).Renewed!;
        session.Store(renewed); // a renewal is no event: the lease's row, rewritten under the lock
        return new(LeaseDetails.From(renewed));
    }
}

[Tags("Client")]
public static class ReleaseThisLeaseEndpoint
{
    public static ProblemDetails Validate(HttpRequest request, string? product) =>
        MachineFingerprint.CheckClientRequest(request.Query, ["product"], null, product);

    /// <summary>The software gives its slot back (on exit): free for the next request at once. 404 once the lease has ended.</summary>
    [WolverineDelete("/api/v1/client/leases/{id}", OperationId = "releaseThisLease", Summary = "Release a lease (license key)")]
    [Authorize(CatalogClaims.LicenseKeyPolicy)]
    [RetryOnContention]
    [ProducesResponseType(204)]
    [Refuses(403, "The license is another product's: `code` is PRODUCT_MISMATCH.")]
    public static async Task<IResult> Delete(Guid id, [Description(LicensedProduct.Description)] string? product, ClaimsPrincipal user,
        IDocumentSession session, LicenseInOneRead licenses, TimeProvider time, CancellationToken token)
    {
        var locked = await LockedLease.Take(session, licenses, user.License(), id, time, token);
        var refused = locked.ClientRefusal(product, () => null);
        if (!ReferenceEquals(refused, WolverineContinue.NoProblems)) return Results.Problem(refused);
        return await locked.Release(session, DeactivationReasons.Client, token);
    }
}

[Tags("Leases")]
public static class EndLeaseEndpoint
{
    /// <summary>The vendor ends a customer's lease (a stuck session, say): its slot is free at once. 404 once it has ended.</summary>
    [WolverineDelete("/api/v1/leases/{id}", OperationId = "endLease", Summary = "End a lease")]
    [Authorize(Scopes.LicensesWrite)]
    [RetryOnContention]
    [ProducesResponseType(204)]
    public static async Task<IResult> Delete([Document("id")] Lease lease, IDocumentSession session, LicenseInOneRead licenses, TimeProvider time,
        CancellationToken token)
    {
        var locked = await LockedLease.Take(session, licenses, lease.LicenseId, lease.Id, time, token);
        return await locked.Release(session, DeactivationReasons.Vendor, token);
    }
}
