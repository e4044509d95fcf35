using Catalog.Licenses;
using Catalog.Machines;
using Catalog.Policies;

namespace Catalog.Tests.Heartbeats;

/// <summary>Liveness computed from a machine's heartbeat row, the rule in force and the time: the pure decisions.</summary>
public class when_a_machine_misses_its_heartbeat
{
    private readonly Catalog.Products.Product _product = Given.ADesktopProduct();
    private static ActivateMachine On(string fingerprint) => new(fingerprint, null, null);

    private Policy AHeartbeatPolicy(int seconds = 60, int? maxMachines = 1) =>
        Given.APolicyOf(_product, PolicyTerms.Default with { HeartbeatSeconds = seconds, MaxMachines = maxMachines });

    /// <summary>The heartbeat rows of the seats, each last heard from <paramref name="ago"/> before now.</summary>
    private static Dictionary<Guid, MachineHeartbeat> Beats(LicenseSeats seats, TimeSpan ago) =>
        seats.Active.ToDictionary(x => x.MachineId, x => new MachineHeartbeat(x.MachineId, seats.Id, Given.Now.AddDays(-1)) { LastAt = Given.Now - ago });

    [Fact]
    public void a_machine_is_alive_until_its_last_heartbeat_plus_the_rule_and_dead_from_that_instant()
    {
        var policy = AHeartbeatPolicy();
        var beat = new MachineHeartbeat(Guid.NewGuid(), Guid.NewGuid(), Given.Now) { LastAt = Given.Now.AddSeconds(10) };
        Assert.Equal(Given.Now.AddSeconds(70), HeartbeatRules.ExpiresAt(beat, policy));
        Assert.False(HeartbeatRules.IsDead(beat, policy, Given.Now.AddSeconds(69.999)));
        Assert.True(HeartbeatRules.IsDead(beat, policy, Given.Now.AddSeconds(70)));
    }

    [Fact]
    public void without_a_rule_or_a_row_no_machine_dies()
    {
        var beat = new MachineHeartbeat(Guid.NewGuid(), Guid.NewGuid(), Given.Now.AddYears(-1));
        Assert.Null(HeartbeatRules.ExpiresAt(beat, Given.APolicyOf(_product)));
        Assert.Null(HeartbeatRules.ExpiresAt(beat, null));
        Assert.Null(HeartbeatRules.ExpiresAt(null, AHeartbeatPolicy()));
    }

    [Fact]
    public void a_borrowed_lease_keeps_its_machine_alive_offline_until_it_ends()
    {
        var beat = new MachineHeartbeat(Guid.NewGuid(), Guid.NewGuid(), Given.Now) { BorrowedUntil = Given.Now.AddDays(5) };
        Assert.Equal(Given.Now.AddDays(5), HeartbeatRules.ExpiresAt(beat, AHeartbeatPolicy()));
    }

    [Fact]
    public void a_heartbeat_of_a_dead_machine_is_a_404_heartbeat_dead_and_of_a_live_one_moves_its_deadline()
    {
        var policy = AHeartbeatPolicy();
        var beat = new MachineHeartbeat(Guid.NewGuid(), Guid.NewGuid(), Given.Now.AddSeconds(-30));
        var (next, refusal) = HeartbeatRules.Beat(beat, policy, Given.Now);
        Assert.Null(refusal);
        Assert.Equal((Given.Now, Given.Now.AddSeconds(60)), (next!.LastAt, next.ExpiresAt));

        var (_, late) = HeartbeatRules.Beat(beat, policy, Given.Now.AddSeconds(30));
        Assert.Equal((404, "HEARTBEAT_DEAD"), (late!.Status, late.Extensions["code"]));
    }

    [Fact]
    public void an_activation_on_a_full_license_takes_a_dead_machines_seat_and_records_its_death_first()
    {
        var policy = AHeartbeatPolicy(maxMachines: 1);
        var license = Given.ALicenseUnder(policy, _product);
        var seats = Given.SeatsTakenBy(license, "crashed");

        var decision = MachineRules.Activate(On("new"), license, _product, seats, Given.Now, policy, beats: Beats(seats, TimeSpan.FromSeconds(61)));

        Assert.NotNull(decision.Activated);
        Assert.Collection(decision.Events,
            e => Assert.Equal("crashed", Assert.IsType<MachineHeartbeatDead>(e).Fingerprint),
            e => Assert.Equal(DeactivationReasons.Heartbeat, Assert.IsType<MachineDeactivated>(e).Reason),
            e => Assert.Equal(Given.Now.AddSeconds(60), Assert.IsType<MachineActivated>(e).HeartbeatExpiresAt));
    }

    [Fact]
    public void a_live_machine_keeps_its_seat()
    {
        var policy = AHeartbeatPolicy(maxMachines: 1);
        var license = Given.ALicenseUnder(policy, _product);
        var seats = Given.SeatsTakenBy(license, "alive");

        var decision = MachineRules.Activate(On("new"), license, _product, seats, Given.Now, policy, beats: Beats(seats, TimeSpan.FromSeconds(59)));

        Assert.Equal((409, "MACHINE_LIMIT_REACHED"), (decision.Refusal!.Status, decision.Refusal.Extensions["code"]));
        Assert.Empty(decision.Events);
    }

    [Fact]
    public void a_dead_fingerprint_activating_again_is_a_new_machine_not_the_dead_one()
    {
        var policy = AHeartbeatPolicy(maxMachines: 1);
        var license = Given.ALicenseUnder(policy, _product);
        var seats = Given.SeatsTakenBy(license, "comes-back");

        var decision = MachineRules.Activate(On("comes-back"), license, _product, seats, Given.Now, policy, beats: Beats(seats, TimeSpan.FromMinutes(5)));

        Assert.Null(decision.AlreadyActive);
        Assert.NotEqual(seats.Active[0].MachineId, decision.Activated!.MachineId);
        Assert.IsType<MachineHeartbeatDead>(decision.Events[0]);
    }
}
