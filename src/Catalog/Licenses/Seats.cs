using JasperFx.Events;

namespace Catalog.Licenses;

// A machine is one installation using a license (its read model and rules: Machines/). Its events live on the license's own stream (stream id =
// license id): an activation takes that stream's lock and nothing wider, so the seat limit is exact under any
// number of concurrent activations of one license, and activations of different licenses never wait for each other.

public record MachineActivated(
    Guid MachineId,
    Guid LicenseId,
    Guid ProductId,
    string Fingerprint,
    string? Name,
    Dictionary<string, JsonElement> Metadata,
    DateTimeOffset ActivatedAt,
    bool StartsTrial = false,
    DateTimeOffset? HeartbeatExpiresAt = null);

/// <summary>
/// The machine left the license. <c>SeatHeldUntil</c>: a license file given for it is valid until then, and its seat
/// stays taken until then (an installation that kept its file can still run offline); null when the seat is free at once.
/// <c>Reason</c>: who ended it, <see cref="DeactivationReasons"/> (null in events recorded before reasons were).
/// </summary>
public record MachineDeactivated(Guid MachineId, Guid LicenseId, Guid ProductId, string Fingerprint, DateTimeOffset DeactivatedAt,
    DateTimeOffset? SeatHeldUntil = null, string? Reason = null);

public static class DeactivationReasons
{
    /// <summary>The software on the machine (or another machine of the license) gave the seat back.</summary>
    public const string Client = "client";
    /// <summary>The vendor's back end freed it.</summary>
    public const string Vendor = "vendor";
    /// <summary>The machine missed its heartbeat: it was dead from its heartbeatExpiresAt, and recorded so after.</summary>
    public const string Heartbeat = "heartbeat";
}

/// <summary>A license file bound to a machine was given out: the machine's seat is held at least until it expires.</summary>
public record LicenseFileIssued(Guid LicenseId, Guid ProductId, Guid MachineId, DateTimeOffset IssuedAt, DateTimeOffset ExpiresAt);

/// <summary>
/// Seats held by deactivated machines' files end before, or at, their time: the vendor freed them, their machine's
/// fingerprint was activated again (the new machine takes the seat), or they expired and are tidied away.
/// </summary>
public record SeatsFreed(Guid LicenseId, Guid ProductId, List<SeatHold> Holds, DateTimeOffset FreedAt);

/// <summary>A seat a deactivated machine holds until the latest license file given for it expires.</summary>
public sealed record SeatHold(Guid MachineId, DateTimeOffset Until);

/// <summary>One taken seat: which machine, by which fingerprint, and until when the latest file given for it is valid.</summary>
public sealed record Seat(Guid MachineId, string Fingerprint)
{
    public DateTimeOffset? FileExpiresAt { get; init; }
}

/// <summary>A seat still held by a deactivated machine's license file, until <see cref="Until"/>.</summary>
public sealed record HeldSeat(Guid MachineId, string Fingerprint, DateTimeOffset Until);

/// <summary>
/// The license stream's snapshot, kept inline: the seats taken on the license, which is what a seat decision
/// needs under the stream's lock. Only ids and fingerprints (the machines' names and metadata are in their own
/// documents), since the snapshot is rewritten on every activation. A list, not a dictionary: fingerprints are
/// data, and JSON property-name policies must never touch them.
/// </summary>
public sealed class LicenseSeats
{
    public Guid Id { get; set; }
    public List<Seat> Active { get; set; } = [];

    /// <summary>Seats of deactivated machines whose license files are still valid (and some that expired since).</summary>
    public List<HeldSeat> Held { get; set; } = [];

    public Seat? Holding(string fingerprint) => Active.Find(x => x.Fingerprint == fingerprint);

    /// <summary>
    /// The seats taken at this instant: every active machine, and every deactivated one whose file is still valid.
    /// Computed from time: a held seat is free at its file's expiry, with no job to free it.
    /// </summary>
    public int TakenAt(DateTimeOffset now) => Active.Count + Held.Count(x => x.Until > now);

    /// <summary>The seat this fingerprint's deactivated machine still holds at this instant, if any.</summary>
    public HeldSeat? HeldBy(string fingerprint, DateTimeOffset now) => Held.Find(x => x.Fingerprint == fingerprint && x.Until > now);

    /// <summary>Held seats whose files have expired: free already, and tidied away with the next change.</summary>
    public List<SeatHold> ExpiredAt(DateTimeOffset now) => Held.Where(x => x.Until <= now).Select(x => new SeatHold(x.MachineId, x.Until)).ToList();

    public void Apply(MachineActivated e) => Active.Add(new Seat(e.MachineId, e.Fingerprint));

    public void Apply(MachineDeactivated e)
    {
        Active.RemoveAll(x => x.MachineId == e.MachineId);
        if (e.SeatHeldUntil is { } until) Held.Add(new HeldSeat(e.MachineId, e.Fingerprint, until));
    }

    public void Apply(LicenseFileIssued e)
    {
        var index = Active.FindIndex(x => x.MachineId == e.MachineId);
        if (index >= 0 && !(Active[index].FileExpiresAt >= e.ExpiresAt)) Active[index] = Active[index] with { FileExpiresAt = e.ExpiresAt };
    }

    public void Apply(SeatsFreed e) => Held.RemoveAll(x => e.Holds.Exists(freed => freed.MachineId == x.MachineId));
}

/// <summary>
/// The license's own stream under its lock, the seats taken on it, and the license document read under that
/// lock (null when there is none): what every decision on a license's machines, changes and state starts from.
/// </summary>
public static class LicenseStream
{
    /// <summary>Locks and fetches; <paramref name="withLicense"/> false: the caller reads the license itself (in its one read).</summary>
    public static async Task<(IEventStream<LicenseSeats> Stream, LicenseSeats Seats, License? Current)> Lock(
        IDocumentSession session, Guid licenseId, CancellationToken token, bool withLicense = true)
    {
        // First the transaction lock of the license's id, then the stream (its row locked too, when it exists): one
        // order for every decision on a license. A license whose stream does not exist yet has no row to lock, and a
        // revocation and a first activation would each decide on what they read and both commit; the id's lock queues
        // them. Taken before the fetch, every decision reads the stream as the one before it left it: a herd of first
        // requests (2,000 lease requests on a new license) queues once, instead of fetching a stream that is not there,
        // waiting, and colliding with the one that started it (or deadlocking with those that found its row).
        await session.BeginTransactionAsync(token); // the lock lasts until the transaction ends: open it first
        await session.QueryAsync<int>("select 1 from pg_advisory_xact_lock(?)", token, LockKey(licenseId));
        var stream = await session.Events.FetchForExclusiveWriting<LicenseSeats>(licenseId, token);
        var current = withLicense ? await session.LoadAsync<License>(licenseId, token) : null;
        return (stream, stream.Aggregate ?? new LicenseSeats { Id = licenseId }, current);
    }

    /// <summary>The transaction lock of a license: 64 of its id's random bits (two licenses sharing one only wait).</summary>
    public static long LockKey(Guid licenseId) => BitConverter.ToInt64(licenseId.ToByteArray(), 8);
}

