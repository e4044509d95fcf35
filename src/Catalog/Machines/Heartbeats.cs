using Catalog.Conventions;
using Catalog.Licenses;
using Catalog.Policies;
using License = Catalog.Licenses.License;

namespace Catalog.Machines;

// A heartbeat is an observation, not a change: it is no event, and it rewrites one small row in place
// (MachineHeartbeat), so that a machine's millionth heartbeat leaves the store no bigger than its first. Whether a
// machine is alive is computed from that row, the rule in force and the time, in every decision that counts seats:
// a machine past its heartbeatExpiresAt holds no seat at that instant, swept or not. Its death is recorded (events)
// by the next decision on its license under the license stream's lock, or by the sweep (DeadMachines.cs).

/// <summary>
/// A machine's last sign of life: one row per machine, written at its activation (by <see cref="MachineProjection"/>)
/// and rewritten by each heartbeat; deleted with the machine. Its columns besides <c>data</c> are never indexed but
/// for the license's, which never changes, so PostgreSQL rewrites it on its own page (a HOT update) and prunes the old
/// versions: the table does not grow with heartbeats.
/// </summary>
public sealed record MachineHeartbeat(Guid Id, Guid LicenseId, DateTimeOffset ActivatedAt)
{
    /// <summary>The last heartbeat; null before the first.</summary>
    public DateTimeOffset? LastAt { get; init; }

    /// <summary>
    /// When the machine dies without another heartbeat, under the rule in force when this row was written (null:
    /// none). The sweep looks for it; decisions compute the instant again under the rule in force now.
    /// </summary>
    public DateTimeOffset? ExpiresAt { get; init; }

    /// <summary>A borrowed lease keeps its machine alive offline until the lease ends (null: none).</summary>
    public DateTimeOffset? BorrowedUntil { get; init; }

    public static MachineHeartbeat Of(MachineActivated e) =>
        new(e.MachineId, e.LicenseId, e.ActivatedAt) { ExpiresAt = e.HeartbeatExpiresAt };
}

/// <summary>
/// A machine missed its heartbeat: dead since <c>ExpiredAt</c>, recorded at <c>RecordedAt</c> (within a minute),
/// exactly once: a <see cref="MachineDeactivated"/> with reason <c>heartbeat</c> follows it in the same transaction.
/// </summary>
public record MachineHeartbeatDead(Guid MachineId, Guid LicenseId, Guid ProductId, string Fingerprint, DateTimeOffset ExpiredAt,
    DateTimeOffset RecordedAt);

public static class HeartbeatRules
{
    public const string HeartbeatDead = ValidationCodes.HeartbeatDead;

    /// <summary>
    /// The instant the machine is dead, under the rule in force: its last heartbeat (or its activation) plus the policy's
    /// <c>heartbeatSeconds</c>, or a borrowed lease's end when later. Null without a rule, and for a machine without a
    /// heartbeat row (activated before heartbeats were recorded: its clock starts at its first heartbeat).
    /// </summary>
    public static DateTimeOffset? ExpiresAt(MachineHeartbeat? beat, Policy? policy)
    {
        if (beat is null || policy?.Terms.HeartbeatSeconds is not { } seconds) return null;
        var due = (beat.LastAt ?? beat.ActivatedAt).AddSeconds(seconds);
        return beat.BorrowedUntil > due ? beat.BorrowedUntil : due;
    }

    public static bool IsDead(MachineHeartbeat? beat, Policy? policy, DateTimeOffset now) => ExpiresAt(beat, policy) <= now;

    /// <summary>The row with its stored <see cref="MachineHeartbeat.ExpiresAt"/> (the sweep's) computed under the rule in force.</summary>
    public static MachineHeartbeat Stamped(MachineHeartbeat beat, Policy? policy) => beat with { ExpiresAt = ExpiresAt(beat, policy) };

    /// <summary>
    /// The deaths to record among the license's active machines at this instant: for each machine past its
    /// heartbeatExpiresAt, <see cref="MachineHeartbeatDead"/> then <see cref="MachineDeactivated"/> (reason heartbeat).
    /// The machine holds no seat from that instant, but a license file given for it that is still valid does, as after
    /// any deactivation: else letting machines die would hand out more working offline files than seats. Decided under
    /// the license stream's lock with the heartbeat rows read for update, so each death is recorded once, and a
    /// heartbeat cannot slip in between.
    /// </summary>
    public static List<object> Deaths(LicenseSeats seats, IReadOnlyDictionary<Guid, MachineHeartbeat> beats, License license, Policy? policy,
        DateTimeOffset now)
    {
        var events = new List<object>();
        foreach (var seat in seats.Active)
        {
            if (ExpiresAt(beats.GetValueOrDefault(seat.MachineId), policy) is not { } expired || expired > now) continue;
            events.Add(new MachineHeartbeatDead(seat.MachineId, license.Id, license.ProductId, seat.Fingerprint, expired, now));
            events.Add(new MachineDeactivated(seat.MachineId, license.Id, license.ProductId, seat.Fingerprint, now,
                seat.FileExpiresAt > now ? seat.FileExpiresAt : null, DeactivationReasons.Heartbeat));
        }
        return events;
    }

    /// <summary>
    /// The decision on a heartbeat of an active machine: dead already (past heartbeatExpiresAt) is a 404
    /// HEARTBEAT_DEAD, the software activates again; else its row with this heartbeat.
    /// </summary>
    public static (MachineHeartbeat? Next, ProblemDetails? Refusal) Beat(MachineHeartbeat beat, Policy? policy, DateTimeOffset now)
    {
        if (IsDead(beat, policy, now)) return (null, Dead());
        var next = beat with { LastAt = now };
        return (Stamped(next, policy), null);
    }

    public static ProblemDetails Dead() => Problems.Refusal(404, HeartbeatDead,
        "This machine missed its heartbeat and no longer holds a seat: activate it again.");
}
