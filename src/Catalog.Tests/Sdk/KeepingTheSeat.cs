using System.Net;
using Catalog.Licensing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Catalog.Tests.Sdk;

/// <summary>
/// The keep-alive loop holds the machine's seat and its lease while the software runs, through outages: it retries
/// with backoff, honours Retry-After, never throws, tells the software what it lost and regained, and takes its seat
/// and lease again without ever holding two.
/// </summary>
[Collection(ServiceCollection.Name)]
public class KeepingTheSeat(AppFixture fixture) : SdkTest(fixture)
{
    private static readonly object Floating = new { name = "Floating, one seat", maxMachines = 1, heartbeatSeconds = 60, maxConcurrent = 1, leaseSeconds = 60 };

    /// <summary>Counts of each event the loop raised.</summary>
    private sealed class Heard
    {
        public int SeatLost, SeatRegained, LeaseLost, LeaseRegained, Failed;

        public Heard(LicenseKeepAlive loop)
        {
            loop.SeatLost += (_, _) => Interlocked.Increment(ref SeatLost);
            loop.SeatRegained += (_, _) => Interlocked.Increment(ref SeatRegained);
            loop.LeaseLost += (_, _) => Interlocked.Increment(ref LeaseLost);
            loop.LeaseRegained += (_, _) => Interlocked.Increment(ref LeaseRegained);
            loop.Failed += (_, _) => Interlocked.Increment(ref Failed);
        }
    }

    [Fact]
    public async Task after_a_five_minute_outage_it_regains_its_seat_and_lease_without_taking_a_second_of_either()
    {
        var licensed = await ALicensedProduct(Floating);
        var network = TheNetwork();
        var sdk = AnSdk(licensed, network, clock: new SdkClock(Fixture.Clock, speed: 1000));
        var loop = new LicenseKeepAlive(sdk, new KeepAliveOptions { Lease = true });
        var heard = new Heard(loop);
        using var stop = new CancellationTokenSource();
        var running = loop.RunAsync(stop.Token);

        await Eventually(() => Task.FromResult(loop.Machine is not null && loop.Lease is not null), "a seat and a lease");
        var before = await TheLicense(licensed);
        Assert.Equal((1, 1), (before.MachinesCount, before.LeasesCount));
        // Running normally: heartbeats and renewals keep both past their first deadlines. Each 10 seconds the test waits
        // for the loop to have renewed what was due (each deadline at least 30 s ahead), so no machine is too slow for it.
        for (var i = 0; i < 12; i++)
        {
            Fixture.Clock.Advance(TimeSpan.FromSeconds(10));
            await Eventually(() => Task.FromResult(loop.Machine?.HeartbeatExpiresAt - Fixture.Clock.GetUtcNow() >= TimeSpan.FromSeconds(30) &&
                                                   loop.Lease?.ExpiresAt - Fixture.Clock.GetUtcNow() >= TimeSpan.FromSeconds(30)), "renewals in time");
        }
        Assert.Equal((0, 0), (heard.SeatLost, heard.LeaseLost));
        Assert.Contains(network.PathsSeen, x => x.EndsWith("/heartbeat", StringComparison.Ordinal));
        Assert.Contains(network.PathsSeen, x => x.EndsWith("/renew", StringComparison.Ordinal));

        network.Down = true;
        for (var i = 0; i < 30; i++)
        {
            Fixture.Clock.Advance(TimeSpan.FromSeconds(10));
            await Task.Delay(50);
        }
        await Eventually(() => Task.FromResult(heard.SeatLost == 1 && heard.LeaseLost == 1), "the seat and the lease lost");
        Assert.True(heard.Failed > 0);
        Assert.False(running.IsCompleted);

        network.Down = false;
        await Eventually(() => Task.FromResult(heard.SeatRegained == 1 && heard.LeaseRegained == 1), "the seat and the lease regained");
        var after = await TheLicense(licensed);
        Assert.Equal((1, 1), (after.MachinesCount, after.LeasesCount));
        var machines = (await Get($"/api/v1/licenses/{licensed.License.Id}/machines", licensed.Vendor)).AsPage<Catalog.Machines.MachineDetails>();
        Assert.Equal("machine-1", Assert.Single(machines.Data).Fingerprint);

        stop.Cancel();
        await running;
        Assert.Equal(0, (await TheLicense(licensed)).LeasesCount); // released on stop
    }

    [Fact]
    public async Task a_503_with_retry_after_is_honoured_and_a_failure_of_any_kind_stays_inside_the_loop()
    {
        var licensed = await ALicensedProduct(Floating);
        var network = TheNetwork();
        var sdk = AnSdk(licensed, network);
        var loop = new LicenseKeepAlive(sdk, new KeepAliveOptions { Lease = true });

        var first = await loop.StepAsync();
        Assert.NotNull(loop.Machine);
        Assert.InRange(first, TimeSpan.FromSeconds(25), TimeSpan.FromSeconds(30)); // halfway to the heartbeat's deadline

        Fixture.Clock.Advance(TimeSpan.FromSeconds(31));
        network.Fake = _ => Network.Json(HttpStatusCode.ServiceUnavailable, """{"title":"Busy","status":503}""",
            response => response.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(TimeSpan.FromSeconds(20)));
        Assert.InRange(await loop.StepAsync(), TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(21));

        // Not an HTTP failure at all, and an application handler that throws: the loop goes on.
        network.Fake = _ => throw new InvalidOperationException("a broken proxy");
        loop.Failed += (_, _) => throw new InvalidOperationException("the application's own bug");
        using var stop = new CancellationTokenSource();
        var running = loop.RunAsync(stop.Token);
        await Task.Delay(300);
        Assert.False(running.IsCompleted);
        network.Fake = null;
        Fixture.Clock.Advance(TimeSpan.FromSeconds(5));
        await Eventually(() => Task.FromResult(network.PathsSeen.Count(x => x.EndsWith("/heartbeat", StringComparison.Ordinal)) > 0 &&
                                               loop.Machine?.LastHeartbeatAt is not null), "a heartbeat through");
        stop.Cancel();
        await running;
        Assert.Null(loop.Lease);
    }

    [Fact]
    public async Task as_a_hosted_service_it_takes_the_seat_when_the_host_starts_and_gives_the_lease_back_when_it_stops()
    {
        var licensed = await ALicensedProduct(Floating);
        var network = TheNetwork();
        var folder = AFolder();
        using var host = new HostBuilder().ConfigureServices(services => services.AddCatalogLicensing(options =>
        {
            options.ServiceUrl = new Uri("http://localhost");
            options.AccountId = licensed.Vendor.AccountId;
            options.ProductCode = licensed.ProductCode;
            options.LicenseKey = licensed.License.Key;
            options.Fingerprint = "hosted-machine";
            options.Store = new FileLicenseStore(folder);
            options.HttpHandler = network;
            options.TimeProvider = Fixture.Clock;
        }, keepAlive => keepAlive.Lease = true)).Build();

        await host.StartAsync();
        await Eventually(async () => (await TheLicense(licensed)) is { MachinesCount: 1, LeasesCount: 1 }, "a seat and a lease");
        Assert.NotNull(host.Services.GetRequiredService<LicenseKeepAlive>().Lease);
        Assert.True((await host.Services.GetRequiredService<LicensingClient>().CheckAsync()).IsValid);
        await host.StopAsync();
        Assert.Equal(0, (await TheLicense(licensed)).LeasesCount);
    }

    [Fact]
    public async Task a_machine_deactivated_on_purpose_is_not_taken_back_until_the_application_resumes()
    {
        var licensed = await ALicensedProduct(license: new { maxMachines = 1 });
        var sdk = AnSdk(licensed, TheNetwork());
        var loop = new LicenseKeepAlive(sdk);
        var heard = new Heard(loop);
        // No heartbeat rule: the loop still looks, once an IdleInterval (15 minutes).
        Assert.InRange(await loop.StepAsync(), TimeSpan.FromMinutes(14.9), TimeSpan.FromMinutes(15));
        var machine = loop.Machine!;

        Assert.Equal(204, (await Delete($"/api/v1/machines/{machine.Id}", licensed.Vendor)).Status); // the lost laptop, freed
        Fixture.Clock.Advance(TimeSpan.FromMinutes(15));
        await loop.StepAsync();
        Assert.True(loop.Deactivated);
        Assert.Equal(1, heard.SeatLost);
        Assert.Equal(LicensingErrorCode.NotActivated, (await AnSdk(licensed, TheNetwork()).HeartbeatAsync()).Error!.Code);
        await loop.StepAsync();
        Assert.Equal(0, (await TheLicense(licensed)).MachinesCount); // the seat stays free

        loop.Resume();
        await loop.StepAsync();
        Assert.Equal((1, 1), ((await TheLicense(licensed)).MachinesCount, heard.SeatRegained));
    }

    [Fact]
    public async Task a_machine_clock_minutes_ahead_of_the_service_neither_spins_nor_churns_leases()
    {
        var licensed = await ALicensedProduct(Floating);
        var network = TheNetwork();
        var clock = new SdkClock(Fixture.Clock);
        clock.Skew(TimeSpan.FromMinutes(3)); // past every 60-second deadline the service answers, on this machine's clock
        var loop = new LicenseKeepAlive(AnSdk(licensed, network, clock: clock), new KeepAliveOptions { Lease = true });
        var heard = new Heard(loop);

        var first = await loop.StepAsync();
        Assert.InRange(first, TimeSpan.FromSeconds(25), TimeSpan.FromSeconds(31));
        var requests = network.Seen.Count;
        Assert.InRange(await loop.StepAsync(), TimeSpan.FromSeconds(25), TimeSpan.FromSeconds(31));
        Assert.Equal(requests, network.Seen.Count); // nothing was due
        Assert.Equal((0, 0), (heard.SeatLost, heard.LeaseLost));
        Assert.Equal(1, (await TheLicense(licensed)).LeasesCount);
    }
}
