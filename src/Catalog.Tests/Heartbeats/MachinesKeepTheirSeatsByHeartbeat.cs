using Npgsql;
using Catalog.Heartbeats;
using Catalog.Licenses;
using Catalog.Machines;
using Catalog.Products;

namespace Catalog.Tests.Heartbeats;

/// <summary>
/// Under a heartbeatSeconds rule a machine keeps its seat by sending heartbeats: past its heartbeatExpiresAt it is
/// dead at once (no seat, HEARTBEAT_DEAD), and the service records it within a minute, exactly once. Time is moved by
/// the service's own clock.
/// </summary>
public class MachinesKeepTheirSeatsByHeartbeat(AppFixture fixture) : ApiTest(fixture)
{
    private sealed record Floating(Client Vendor, ProductDetails Product, LicenseDetails License);

    /// <summary>A license of a policy with a 60-second heartbeat rule and these seats.</summary>
    private async Task<Floating> ALicenseWithHeartbeats(int heartbeatSeconds = 60, int? maxMachines = 2)
    {
        var vendor = await AClient();
        var product = await CreateProduct(vendor);
        var policy = await APolicy(vendor, product.Id, new { name = "Heartbeats", heartbeatSeconds, maxMachines });
        return new(vendor, product, await IssueLicense(vendor, product.Id, new { policyId = policy.Id }));
    }

    private Task<ApiResponse> Activate(Floating f, string fingerprint) =>
        AsLicense("POST", "/api/v1/client/machines", f.License.Key, JsonSerializer.Serialize(new { fingerprint, product = f.Product.Code }));

    private Task<ApiResponse> Heartbeat(Floating f, string fingerprint, string? product = null) =>
        AsLicense("POST", $"/api/v1/client/machines/{Uri.EscapeDataString(fingerprint)}/heartbeat", f.License.Key,
            JsonSerializer.Serialize(new { product = product ?? f.Product.Code }));

    private Task<ApiResponse> Validate(Floating f, string fingerprint) =>
        AsLicense("POST", "/api/v1/client/validate", f.License.Key, JsonSerializer.Serialize(new { fingerprint, product = f.Product.Code }));

    [Fact]
    public async Task a_heartbeat_answers_the_machine_and_when_its_next_one_is_due()
    {
        var f = await ALicenseWithHeartbeats();
        var activated = (await Activate(f, "fp-1")).As<MachineDetails>();
        Assert.Null(activated.LastHeartbeatAt);
        Assert.Equal(activated.ActivatedAt.AddSeconds(60), activated.HeartbeatExpiresAt);

        Fixture.Clock.Advance(TimeSpan.FromSeconds(45));
        var beat = await Heartbeat(f, "fp-1");
        Assert.True(beat.Status == 200, beat.ToString());
        var answer = beat.As<HeartbeatDetails>();
        Assert.Equal(activated.Id, answer.Machine.Id);
        Assert.NotNull(answer.Machine.LastHeartbeatAt);
        Assert.Equal(answer.Machine.LastHeartbeatAt!.Value.AddSeconds(60), answer.HeartbeatExpiresAt);
        Assert.Equal(answer.HeartbeatExpiresAt, answer.Machine.HeartbeatExpiresAt);

        // Kept alive past its first deadline by the heartbeat: still valid 30 s later (75 s after activation).
        Fixture.Clock.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal("VALID", (await Validate(f, "fp-1")).Data.GetProperty("code").GetString());
        // The vendor sees the same.
        var listed = (await Get($"/api/v1/licenses/{f.License.Id}/machines", f.Vendor)).AsPage<MachineDetails>().Data.Single();
        Assert.Equal(answer.Machine.LastHeartbeatAt, listed.LastHeartbeatAt);
        Assert.Equal(answer.HeartbeatExpiresAt, listed.HeartbeatExpiresAt);
        // A heartbeat is no event.
        Assert.Empty((await EventsOfType(f.Vendor, "machine.heartbeat.dead")));
    }

    [Fact]
    public async Task a_machine_past_its_heartbeat_is_dead_at_once_for_validation_heartbeats_and_seats()
    {
        var f = await ALicenseWithHeartbeats(maxMachines: 1);
        Assert.Equal(201, (await Activate(f, "fp-old")).Status);
        Assert.Equal(409, (await Activate(f, "fp-new")).Status);

        Fixture.Clock.Advance(TimeSpan.FromSeconds(61));
        var validation = (await Validate(f, "fp-old")).Data;
        Assert.False(validation.GetProperty("valid").GetBoolean());
        Assert.Equal("HEARTBEAT_DEAD", validation.GetProperty("code").GetString());
        var vendorValidation = (await Post("/api/v1/licenses/validate", f.Vendor, new { key = f.License.Key, fingerprint = "fp-old" })).Data;
        Assert.Equal("HEARTBEAT_DEAD", vendorValidation.GetProperty("code").GetString());
        var late = await Heartbeat(f, "fp-old");
        Assert.Equal(404, late.Status);
        Assert.Equal("HEARTBEAT_DEAD", late.Code);
        var file = await AsLicense("POST", "/api/v1/client/license-file", f.License.Key,
            JsonSerializer.Serialize(new { fingerprint = "fp-old", product = f.Product.Code }));
        Assert.Equal(403, file.Status);
        Assert.Equal("HEARTBEAT_DEAD", file.Code);

        // Its seat is free at that instant, whether or not anything has recorded the death yet.
        var taken = await Activate(f, "fp-new");
        Assert.True(taken.Status == 201, taken.ToString());
        var dead = await EventsOfType(f.Vendor, "machine.heartbeat.dead");
        var deactivated = await EventsOfType(f.Vendor, "machine.deactivated");
        Assert.Single(dead);
        Assert.Equal("fp-old", dead[0].Data.GetProperty("fingerprint").GetString());
        Assert.Equal("heartbeat", Assert.Single(deactivated).Data.GetProperty("reason").GetString());
        await ReadModelsAgreeWithTheEvents();
    }

    [Fact]
    public async Task the_sweep_records_a_death_within_seconds_exactly_once_and_the_software_activates_again()
    {
        var f = await ALicenseWithHeartbeats();
        var first = (await Activate(f, "fp-1")).As<MachineDetails>();
        Assert.Equal(201, (await Activate(f, "fp-2")).Status);
        Fixture.Clock.Advance(TimeSpan.FromSeconds(50));
        Assert.Equal(200, (await Heartbeat(f, "fp-2")).Status);
        Fixture.Clock.Advance(TimeSpan.FromSeconds(20)); // fp-1 is 70 s without a heartbeat, fp-2 20 s

        // The sweep looks every second here (Sweeps:Every): nothing else records this death.
        await Eventually(async () => (await EventsOfType(f.Vendor, "machine.deactivated")).Count > 0, "the death recorded");
        await Task.Delay(2500); // more sweeps: none records it again
        var dead = await EventsOfType(f.Vendor, "machine.heartbeat.dead");
        Assert.Equal(first.Id, Assert.Single(dead).Data.GetProperty("machineId").GetGuid());
        var deactivated = Assert.Single(await EventsOfType(f.Vendor, "machine.deactivated"));
        Assert.Equal("heartbeat", deactivated.Data.GetProperty("reason").GetString());
        Assert.True(dead[0].Sequence < deactivated.Sequence);
        var license = (await Get($"/api/v1/licenses/{f.License.Id}", f.Vendor)).As<LicenseDetails>();
        Assert.Equal(1, license.MachinesCount);

        // The software activates again: a new machine, with a new deadline.
        var again = await Activate(f, "fp-1");
        Assert.Equal(201, again.Status);
        Assert.NotEqual(first.Id, again.As<MachineDetails>().Id);
        await ReadModelsAgreeWithTheEvents();
    }

    [Fact]
    public async Task a_dead_machines_valid_license_file_holds_its_seat_so_letting_machines_die_never_yields_more_files_than_seats()
    {
        var f = await ALicenseWithHeartbeats(maxMachines: 1);
        Assert.Equal(201, (await Activate(f, "fp-1")).Status);
        var file = await AsLicense("POST", "/api/v1/client/license-file", f.License.Key,
            JsonSerializer.Serialize(new { fingerprint = "fp-1", product = f.Product.Code }));
        Assert.Equal(200, file.Status);

        Fixture.Clock.Advance(TimeSpan.FromSeconds(61)); // fp-1 is dead; its 30-day file still runs offline
        Assert.Equal("HEARTBEAT_DEAD", (await Validate(f, "fp-1")).Data.GetProperty("code").GetString());
        var another = await Activate(f, "fp-2");
        Assert.Equal(409, another.Status);
        Assert.Equal("MACHINE_LIMIT_REACHED", another.Code);

        // The same installation comes back (woken from sleep): it takes its seat again, with its file's hold.
        var back = await Activate(f, "fp-1");
        Assert.True(back.Status == 201, back.ToString());
        Assert.Equal(409, (await Activate(f, "fp-2")).Status);
        Assert.Equal(1, (await Get($"/api/v1/licenses/{f.License.Id}", f.Vendor)).As<LicenseDetails>().MachinesCount);
        await ReadModelsAgreeWithTheEvents();
    }

    [Fact]
    public async Task a_machines_millionth_heartbeat_leaves_the_store_no_bigger_than_its_first()
    {
        var f = await ALicenseWithHeartbeats(heartbeatSeconds: 3600);
        Assert.Equal(201, (await Activate(f, "fp-1")).Status);
        Assert.Equal(200, (await Heartbeat(f, "fp-1")).Status);
        var events = await EventCount();
        var first = await HeartbeatStoreBytes();
        // Enough heartbeats to fill the row's page many times over: each rewrites the row in place (a HOT update),
        // and PostgreSQL prunes the old versions on the same page instead of growing the table or its indexes.
        for (var i = 0; i < 400; i++) Assert.Equal(200, (await Heartbeat(f, "fp-1")).Status);
        Assert.Equal(first, await HeartbeatStoreBytes());
        Assert.Equal(events, await EventCount());
    }

    [Fact]
    public async Task a_heartbeat_is_refused_for_another_product_an_unknown_machine_and_an_unusable_license()
    {
        var f = await ALicenseWithHeartbeats();
        Assert.Equal(201, (await Activate(f, "fp-1")).Status);
        var other = await Heartbeat(f, "fp-1", product: "another-product");
        Assert.Equal(403, other.Status);
        Assert.Equal("PRODUCT_MISMATCH", other.Code);
        var unknown = await Heartbeat(f, "fp-unknown");
        Assert.Equal(404, unknown.Status);
        Assert.Equal("NOT_ACTIVATED", unknown.Code);
        var malformed = await AsLicense("POST", "/api/v1/client/machines/fp-1/heartbeat", f.License.Key, """{"product":"no spaces allowed"}""");
        Assert.Equal(400, malformed.Status);
        Assert.Contains("product", malformed.ErrorFields);
        Assert.Equal(200, (await Post($"/api/v1/licenses/{f.License.Id}/suspend", f.Vendor, new { })).Status);
        var suspended = await Heartbeat(f, "fp-1");
        Assert.Equal(403, suspended.Status);
        Assert.Equal("SUSPENDED", suspended.Code);
        // Another license's key cannot beat for this machine.
        var stranger = await ALicenseWithHeartbeats();
        Assert.Equal(404, (await AsLicense("POST", "/api/v1/client/machines/fp-1/heartbeat", stranger.License.Key, "{}")).Status);
    }

    [Fact]
    public async Task without_a_heartbeat_rule_a_machine_never_dies_and_a_heartbeat_still_says_when_it_was_last_seen()
    {
        var vendor = await AClient();
        var product = await CreateProduct(vendor);
        var license = await IssueLicense(vendor, product.Id, new { maxMachines = 1 });
        var f = new Floating(vendor, product, license);
        Assert.Null((await Activate(f, "fp-1")).As<MachineDetails>().HeartbeatExpiresAt);
        var beat = (await Heartbeat(f, "fp-1")).As<HeartbeatDetails>();
        Assert.Null(beat.HeartbeatExpiresAt);
        Assert.NotNull(beat.Machine.LastHeartbeatAt);
        Fixture.Clock.Advance(TimeSpan.FromDays(30));
        Assert.Equal("VALID", (await Validate(f, "fp-1")).Data.GetProperty("code").GetString());
        Assert.Equal(409, (await Activate(f, "fp-2")).Status);
    }

    [Fact]
    public async Task a_policy_that_gains_a_heartbeat_rule_holds_it_at_the_next_request()
    {
        var vendor = await AClient();
        var product = await CreateProduct(vendor);
        var policy = await APolicy(vendor, product.Id, new { name = "Later", maxMachines = 1 });
        var license = await IssueLicense(vendor, product.Id, new { policyId = policy.Id });
        var f = new Floating(vendor, product, license);
        Assert.Equal(201, (await Activate(f, "fp-1")).Status);
        Assert.Equal(200, (await Patch($"/api/v1/policies/{policy.Id}", vendor, new { heartbeatSeconds = 120 })).Status);
        Fixture.Clock.Advance(TimeSpan.FromSeconds(121));
        Assert.Equal("HEARTBEAT_DEAD", (await Validate(f, "fp-1")).Data.GetProperty("code").GetString());
        Assert.Equal(201, (await Activate(f, "fp-2")).Status);
    }

    private async Task<long> EventCount()
    {
        var total = 0L;
        foreach (var database in StorageMode.AccountDatabases)
        {
            await using var each = await OpenDatabase(database);
            total += (long)(await new NpgsqlCommand($"select count(*) from {Catalog.Hosting.Database.Schema}.mt_events", each).ExecuteScalarAsync())!;
        }
        return total;
    }

    /// <summary>The heartbeat table's bytes, its partitions (with shards) and indexes included, in every database.</summary>
    private async Task<long> HeartbeatStoreBytes()
    {
        var table = Store.Options.FindOrResolveDocumentType(typeof(MachineHeartbeat)).TableName.QualifiedName;
        var total = 0L;
        foreach (var database in StorageMode.AccountDatabases)
        {
            await using var connection = await OpenDatabase(database);
            await using var command = new NpgsqlCommand(
                $"select coalesce(sum(pg_total_relation_size(relid)), 0)::bigint from pg_partition_tree('{table}'::regclass)", connection);
            total += (long)(await command.ExecuteScalarAsync())!;
        }
        return total;
    }
}
