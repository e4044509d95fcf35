using Catalog.Licensing;

namespace Catalog.Tests.Sdk;

/// <summary>
/// Setting the machine's clock back does not stretch an offline grace: the SDK keeps the latest trusted time it has
/// seen (a verified file's iat) and refuses, with a result of its own, when the clock is more than the margin behind it.
/// </summary>
[Collection(ServiceCollection.Name)]
public class ClockTampering(AppFixture fixture) : SdkTest(fixture)
{
    [Fact]
    public async Task a_clock_set_back_past_the_margin_is_refused_offline_online_and_after_a_restart_and_within_it_is_not()
    {
        var licensed = await ALicensedProduct(new { name = "One hour offline", fileLifetime = 3600 });
        var network = TheNetwork();
        var clock = new SdkClock(Fixture.Clock);
        var store = AFolder();
        var sdk = AnSdk(licensed, network, clock: clock, store: store);
        await sdk.ActivateAsync();
        Assert.True((await sdk.CheckAsync()).IsValid);

        // Offline, 50 minutes on: the machine's clock is seen at that check.
        network.Down = true;
        Fixture.Clock.Advance(TimeSpan.FromMinutes(50));
        Assert.True((await sdk.CheckAsync()).IsValid);
        // 20 minutes later the file (an hour) has ended; set back 30 minutes, the clock would make it look alive.
        Fixture.Clock.Advance(TimeSpan.FromMinutes(20));
        Assert.Equal(LicenseStatus.OfflineGraceEnded, (await sdk.CheckAsync()).Status);
        clock.Skew(TimeSpan.FromMinutes(-30));
        var tampered = await sdk.CheckAsync();
        Assert.Equal(LicenseStatus.ClockTampered, tampered.Status);
        Assert.False(tampered.IsValid);
        // A restart keeps what it saw (the store).
        Assert.Equal(LicenseStatus.ClockTampered, (await AnSdk(licensed, network, clock: clock, store: store).CheckAsync()).Status);

        // Online, the service's file says what time it is: 30 minutes behind it is refused, 4 minutes is not.
        network.Down = false;
        Assert.Equal(LicenseStatus.ClockTampered, (await sdk.CheckAsync()).Status);
        clock.Skew(TimeSpan.FromMinutes(26));
        Assert.True((await sdk.CheckAsync()).IsValid);
        network.Down = true;
        Assert.True((await sdk.CheckAsync()).IsValid);
    }

    [Fact]
    public async Task a_clock_that_ran_ahead_and_was_set_right_is_refused_offline_only_until_the_service_is_reached()
    {
        var licensed = await ALicensedProduct();
        var network = TheNetwork();
        var clock = new SdkClock(Fixture.Clock);
        var sdk = AnSdk(licensed, network, clock: clock);
        await sdk.ActivateAsync();
        Assert.True((await sdk.CheckAsync()).IsValid);
        network.Down = true;
        clock.Skew(TimeSpan.FromDays(1));
        Assert.True((await sdk.CheckAsync()).IsValid);
        clock.Skew(TimeSpan.FromDays(-1));
        Assert.Equal(LicenseStatus.ClockTampered, (await sdk.CheckAsync()).Status);
        network.Down = false;
        Assert.True((await sdk.CheckAsync()).IsValid);
    }

    [Fact]
    public async Task the_margin_is_the_vendors_to_choose()
    {
        var licensed = await ALicensedProduct();
        var clock = new SdkClock(Fixture.Clock);
        var sdk = AnSdk(licensed, TheNetwork(), clock: clock, configure: options => options.ClockTolerance = TimeSpan.FromSeconds(30));
        await sdk.ActivateAsync();
        Assert.True((await sdk.CheckAsync()).IsValid);
        clock.Skew(TimeSpan.FromMinutes(-1));
        Assert.Equal(LicenseStatus.ClockTampered, (await sdk.CheckOfflineAsync()).Status);
    }
}
