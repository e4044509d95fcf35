using Catalog.Licensing;

namespace Catalog.Tests.Sdk;

/// <summary>
/// An air-gapped machine activates through another device: it writes a request, the connected device sends it, and
/// the answered file, carried back, is installed and verified with keys pinned at build. Borrowing before going
/// offline gives a file that lasts as long as the lease.
/// </summary>
[Collection(ServiceCollection.Name)]
public class OfflineActivation(AppFixture fixture) : SdkTest(fixture)
{
    [Fact]
    public async Task a_request_carried_to_a_connected_device_activates_the_machine_and_its_file_runs_it_offline()
    {
        var licensed = await ALicensedProduct(license: new { maxMachines = 2 });
        var pinned = (await Get($"/api/v1/accounts/{licensed.Vendor.AccountId}/jwks.json", null)).Text;
        var airGapped = TheNetwork();
        airGapped.Down = true;
        var plant = AnSdk(licensed, airGapped, "plant-floor-pc", pinnedJwks: pinned);
        var laptop = AnSdk(licensed, TheNetwork(), "laptop");

        var request = plant.CreateOfflineActivationRequest();
        Assert.NotEqual(request, plant.CreateOfflineActivationRequest()); // a nonce of its own each time
        var answered = await laptop.SendOfflineActivationAsync(request);
        Assert.True(answered.Succeeded, answered.ToString());
        Assert.Equal("plant-floor-pc", answered.Value!.Machine.Fingerprint);

        // A file for another machine is refused; the plant's own verifies and is kept.
        var laptopsOwn = await laptop.SendOfflineActivationAsync(laptop.CreateOfflineActivationRequest());
        Assert.Equal(LicenseStatus.NoLicenseFile, (await plant.InstallLicenseFileAsync(laptopsOwn.Value!.File)).Status);
        var installed = await plant.InstallLicenseFileAsync(answered.Value.File);
        Assert.True(installed.IsValid, installed.ToString());
        var check = await plant.CheckAsync();
        Assert.True(check.IsValid);
        Assert.True(check.Offline);
        Assert.Equal("plant-floor-pc", check.File!.Fingerprint);
        Assert.Empty(airGapped.Seen.Where(x => x.Path.Contains("jwks", StringComparison.Ordinal)));
        Assert.Equal(2, (await TheLicense(licensed)).MachinesCount);
    }

    [Fact]
    public async Task a_borrowed_lease_installs_a_file_that_runs_offline_until_the_lease_ends()
    {
        var licensed = await ALicensedProduct(new { name = "Floating", maxConcurrent = 1, maxBorrowSeconds = 7200, fileLifetime = 600 });
        var network = TheNetwork();
        var sdk = AnSdk(licensed, network);
        await sdk.ActivateAsync();

        var borrowed = await sdk.AcquireLeaseAsync(TimeSpan.FromHours(2));
        Assert.True(borrowed.Succeeded, borrowed.ToString());
        Assert.True(borrowed.Value!.Borrowed);
        network.Down = true;
        var offline = await sdk.CheckAsync();
        Assert.True(offline.IsValid);
        Assert.Equal(borrowed.Value.Id, offline.File!.LeaseId);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(borrowed.Value.ExpiresAt.ToUnixTimeSeconds()), offline.ValidUntil); // exp: whole seconds
        Fixture.Clock.Advance(TimeSpan.FromMinutes(119));
        Assert.True((await sdk.CheckAsync()).IsValid);
        Fixture.Clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(LicenseStatus.OfflineGraceEnded, (await sdk.CheckAsync()).Status);
    }
}
