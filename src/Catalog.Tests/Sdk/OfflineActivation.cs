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

    [Fact]
    public async Task a_borrowed_file_outlives_a_shorter_file_from_a_later_check_and_returning_the_lease_early_ends_it()
    {
        var licensed = await ALicensedProduct(new { name = "Floating", maxConcurrent = 1, maxBorrowSeconds = 7200, fileLifetime = 600 });
        var network = TheNetwork();
        var sdk = AnSdk(licensed, network);
        await sdk.ActivateAsync();
        var borrowed = (await sdk.AcquireLeaseAsync(TimeSpan.FromHours(2))).Value!;

        Assert.True((await sdk.CheckAsync()).IsValid); // online: a 10-minute file, which does not replace the 2-hour one
        network.Down = true;
        Fixture.Clock.Advance(TimeSpan.FromMinutes(30));
        Assert.Equal(borrowed.Id, (await sdk.CheckAsync()).File!.LeaseId);

        network.Down = false;
        Assert.True((await sdk.ReleaseLeaseAsync(borrowed.Id)).Succeeded);
        Assert.Equal(0, (await TheLicense(licensed)).LeasesCount);
        network.Down = true;
        Assert.Equal(LicenseStatus.NoLicenseFile, (await sdk.CheckAsync()).Status);
    }

    [Fact]
    public async Task a_borrowed_file_this_machine_cannot_verify_gives_the_lease_back()
    {
        var licensed = await ALicensedProduct(new { name = "Floating", maxConcurrent = 1, maxBorrowSeconds = 7200 });
        var another = await ALicensedProduct();
        var wrongKeys = (await Get($"/api/v1/accounts/{another.Vendor.AccountId}/jwks.json", null)).Text;
        var sdk = AnSdk(licensed, TheNetwork(), pinnedJwks: wrongKeys);
        await sdk.ActivateAsync();

        var borrowed = await sdk.AcquireLeaseAsync(TimeSpan.FromHours(2));
        Assert.Equal(LicensingErrorCode.Untrusted, borrowed.Error!.Code);
        Assert.Equal(0, (await TheLicense(licensed)).LeasesCount);
    }
}
