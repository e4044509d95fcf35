using Catalog.Hosting;
using Catalog.Licenses;
using Catalog.Policies;

namespace Catalog.Machines;

/// <summary>
/// Records the machines that missed their heartbeat (<see cref="MachineHeartbeatDead"/>, then <see cref="MachineDeactivated"/>
/// with reason heartbeat), within <c>Sweeps:Every</c> of their death. They held no seat from that instant already.
/// </summary>
public sealed class DeadMachines(IDocumentStore store, HeartbeatRows rows, TimeProvider time, IConfiguration configuration,
    ILogger<DeadMachines> logger) : Sweep(store, typeof(MachineHeartbeat), time, configuration, logger)
{
    protected override string What => "machines that missed their heartbeat";

    protected override async Task Record(IDocumentSession session, Guid licenseId, DateTimeOffset now, CancellationToken token)
    {
        var (stream, seats, license) = await LicenseStream.Lock(session, licenseId, token);
        var beats = await rows.ForUpdate(session, licenseId, token);
        var policy = license is null ? null : await session.PolicyOf(license.PolicyId, token);
        var deaths = license is null ? [] : HeartbeatRules.Deaths(seats, beats, license, policy, now);
        stream.AppendMany(deaths);
        var dead = deaths.OfType<MachineDeactivated>().Select(x => x.MachineId).ToHashSet();
        foreach (var beat in beats.Values.Where(x => !dead.Contains(x.Id)))
        {
            // A row whose machine is gone (its license too) is tidied away; a live machine's, whose rule changed since it
            // was written, gets the expiry of the rule in force, so that the sweep does not find it again.
            if (seats.Active.TrueForAll(x => x.MachineId != beat.Id)) session.Delete<MachineHeartbeat>(beat.Id);
            else if (beat.ExpiresAt <= now) session.Store(HeartbeatRules.Stamped(beat, policy));
        }
    }
}
