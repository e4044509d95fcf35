using System.Security.Claims;
using Catalog.Conventions;
using Catalog.Http;
using Catalog.LicenseFiles;
using Catalog.Licenses;
using Catalog.Machines;
using Catalog.SigningKeys;
using Catalog.Validation;
using JasperFx.Events;

namespace Catalog.Leases;

/// <summary>
/// A lease request decided: the license's one read (taken again under the license stream's lock before a grant), and
/// the grant or the refusal.
/// </summary>
public sealed record LeaseRequest(LicenseConsulted Found, LeaseGranted? Granted, ProblemDetails? Refusal, IEventStream<LicenseSeats>? Stream)
{
    /// <summary>
    /// Decides on a quick read first, without the lock: a refusal decided on it is as true as one decided an instant
    /// later under the lock (nothing is written), and the requests a full license refuses never queue on its lock. A
    /// grant is decided again under the lock, on the license, its policy, the machine and the live leases read in one
    /// statement: of any number of concurrent requests, exactly as many as maxConcurrent allows are granted.
    /// </summary>
    public static async Task<LeaseRequest> Decide(RequestLease command, Guid licenseId, IDocumentSession session, LicenseInOneRead licenses,
        TimeProvider time, CancellationToken token)
    {
        var quick = await Read(command, licenseId, session, licenses, time.UtcNow(), token);
        if (quick.Refusal is not null) return quick;
        var (stream, _, _) = await LicenseStream.Lock(session, licenseId, token, withLicense: false);
        return await Read(command, licenseId, session, licenses, time.UtcNow(), token) with { Stream = stream };
    }

    private static async Task<LeaseRequest> Read(RequestLease command, Guid licenseId, IDocumentSession session, LicenseInOneRead licenses,
        DateTimeOffset now, CancellationToken token)
    {
        var found = await licenses.ById(session, licenseId, command.Fingerprint, token, leasesLiveAt: now)
                    ?? throw new InvalidOperationException("An authenticated license key names a license that does not exist");
        var (granted, refusal) = LeaseRules.Grant(command, found.License, found.Product, found.Policy, found.Machine, found.MachineDeadAt(now),
            found.LiveLeases, now);
        return new(found, granted, refusal, null);
    }

    /// <summary>
    /// Appends the grant. A borrowed lease also gets its license file: bound to the machine, expiring with the lease
    /// (its seat is held as long), and its machine counts as alive until then without heartbeats, since it runs offline.
    /// </summary>
    public async Task<LeaseDetails> Grant(IDocumentSession session, SigningKeyRing keys, SigningSettings settings, string? productCode,
        CancellationToken token)
    {
        var granted = Granted!;
        Stream!.AppendOne(granted);
        var lease = LeaseDetails.From(Lease.From(granted));
        if (!granted.Borrowed) return lease;

        var machine = Found.Machine!;
        var (claims, refusal, events) = LicenseFileRules.DecideRecorded(Found.License, Found.Product, Found.Policy, machine.Fingerprint,
            new Seat(machine.Id, machine.Fingerprint), granted.GrantedAt, settings, productCode, lease: new(granted.LeaseId, granted.ExpiresAt));
        if (refusal is not null) throw new InvalidOperationException($"A borrowed lease granted was refused its file: {refusal.Detail}");
        Stream.AppendMany(events);
        if (Found.Heartbeat is { } beat) session.Store(HeartbeatRules.Stamped(beat with { BorrowedUntil = granted.ExpiresAt }, Found.Policy));
        var (_, file) = await LicenseFileRules.Sign(session, keys, claims!, token);
        return lease with { File = file };
    }
}

[Tags("Client")]
public static class GrantThisLeaseEndpoint
{
    /// <summary>Its product travels in the body: a query (say <c>?product=</c>) is refused, never taken for the check.</summary>
    public static ProblemDetails Before(HttpRequest request, RequestLease? command) =>
        QueryParameters.Only(request.Query) is { Status: 400 } refused ? refused : LeaseRules.Check(command);

    public static Task<LeaseRequest> LoadAsync(RequestLease? command, ClaimsPrincipal user, IDocumentSession session, LicenseInOneRead licenses,
        TimeProvider time, CancellationToken token) =>
        LeaseRequest.Decide(command ?? new(), user.License(), session, licenses, time, token);

    public static ProblemDetails Validate([NotBody] LeaseRequest request) => request.Refusal ?? WolverineContinue.NoProblems;

    /// <summary>
    /// Running software holds a lease of its floating license: one of <c>maxConcurrent</c> slots, for the policy's
    /// <c>leaseSeconds</c> (renew it before then), or, with <c>borrowSeconds</c>, a borrowed lease whose answer carries a
    /// license file for offline use until it ends. Exact under any concurrency, on any number of nodes.
    /// </summary>
    [WolverinePost("/api/v1/client/leases", OperationId = "grantThisLease", Summary = "Take a lease (license key)")]
    [Authorize(CatalogClaims.LicenseKeyPolicy)]
    [RetryOnContention]
    [Refuses(400, "A `fingerprint` is required (a seat limit, or a borrow), or `borrowSeconds` passes the policy's maxBorrowSeconds.")]
    [Refuses(403, "`code` is PRODUCT_MISMATCH, PRODUCT_DELETED, SUSPENDED or EXPIRED, or NOT_ACTIVATED (the fingerprint is not a live active machine).")]
    [Refuses(409, "Every slot is held: `code` is CONCURRENCY_LIMIT_REACHED.")]
    public static async Task<CreatedResource<LeaseDetails>> Post(RequestLease? command, [NotBody] LeaseRequest request, IDocumentSession session,
        SigningKeyRing keys, SigningSettings settings, CancellationToken token) =>
        new(await request.Grant(session, keys, settings, command?.Product, token));
}
