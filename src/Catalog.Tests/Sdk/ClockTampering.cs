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
        var online = await sdk.CheckAsync();
        Assert.True(online.IsValid);

        // The file lasts an hour: two hours later, with the machine's clock set back two hours, it would look fresh.
        Fixture.Clock.Advance(TimeSpan.FromHours(2));
        clock.Skew(TimeSpan.FromHours(-2));
        network.Down = true;
        // The trusted time is the file's iat, and the clock reads it again: within the margin, and the file still verifies.
        Assert.True((await sdk.CheckAsync()).IsValid);

        clock.Skew(TimeSpan.FromMinutes(-10));
        var tampered = await sdk.CheckAsync();
        Assert.Equal(LicenseStatus.ClockTampered, tampered.Status);
        Assert.False(tampered.IsValid);
        // A restart keeps what it trusted (the store), and so does the online path, which gets a file iat'd by the service.
        Assert.Equal(LicenseStatus.ClockTampered, (await AnSdk(licensed, network, clock: clock, store: store).CheckAsync()).Status);
        network.Down = false;
        Assert.Equal(LicenseStatus.ClockTampered, (await sdk.CheckAsync()).Status);

        clock.Skew(TimeSpan.FromHours(2) + TimeSpan.FromMinutes(10) - TimeSpan.FromMinutes(4)); // four minutes behind the service
        Assert.True((await sdk.CheckAsync()).IsValid);
    }

    [Fact]
    public async Task the_margin_is_the_vendors_to_choose()
    {
        var licensed = await ALicensedProduct();
        var clock = new SdkClock(Fixture.Clock);
        var sdk = new LicensingClient(new LicensingOptions
        {
            ServiceUrl = new Uri("http://localhost"), AccountId = licensed.Vendor.AccountId, ProductCode = licensed.ProductCode,
            LicenseKey = licensed.License.Key, Fingerprint = "machine-1", Store = new FileLicenseStore(AFolder()),
            HttpHandler = TheNetwork(), TimeProvider = clock, ClockTolerance = TimeSpan.FromSeconds(30),
        });
        using (sdk)
        {
            await sdk.ActivateAsync();
            Assert.True((await sdk.CheckAsync()).IsValid);
            clock.Skew(TimeSpan.FromMinutes(-1));
            Assert.Equal(LicenseStatus.ClockTampered, (await sdk.CheckOfflineAsync()).Status);
        }
    }
}
