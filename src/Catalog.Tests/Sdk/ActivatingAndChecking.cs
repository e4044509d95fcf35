using Catalog.Licensing;

namespace Catalog.Tests.Sdk;

/// <summary>
/// The software's first run and every start, through the SDK: activation takes a seat once, the seat limit is a typed
/// refusal, a key for another product unlocks nothing, and a check grants on a signed file, online or from the cache
/// until the file's exp.
/// </summary>
[Collection(ServiceCollection.Name)]
public class ActivatingAndChecking(AppFixture fixture) : SdkTest(fixture)
{
    [Fact]
    public async Task activation_takes_one_seat_however_often_it_runs_and_a_full_license_answers_machine_limit_reached()
    {
        var licensed = await ALicensedProduct(license: new { maxMachines = 1 });
        var network = TheNetwork();
        var first = AnSdk(licensed, network, "machine-1");

        var activated = await first.ActivateAsync(new Dictionary<string, string> { ["app"] = "2.1" });
        Assert.True(activated.Succeeded, activated.ToString());
        var again = await first.ActivateAsync();
        Assert.Equal(activated.Value!.Id, again.Value!.Id);
        Assert.Equal("machine-1", again.Value.Fingerprint);

        var refused = await AnSdk(licensed, network, "machine-2").ActivateAsync();
        Assert.Equal(LicensingErrorCode.MachineLimitReached, refused.Error!.Code);
        Assert.Equal(409, refused.Error.Status);
        Assert.Equal(1, (await TheLicense(licensed)).MachinesCount);

        Assert.True((await first.DeactivateAsync()).Succeeded);
        Assert.True((await AnSdk(licensed, network, "machine-2").ActivateAsync()).Succeeded);
    }

    [Fact]
    public async Task a_key_for_another_product_of_the_account_unlocks_nothing()
    {
        var licensed = await ALicensedProduct();
        var other = await CreateProduct(licensed.Vendor, new { name = "Desktop App Ultimate", code = "ultimate-" + Guid.NewGuid().ToString("N")[..8] });
        var sdk = AnSdk(licensed, TheNetwork(), productCode: other.Code);

        Assert.Equal(LicensingErrorCode.ProductMismatch, (await sdk.ActivateAsync()).Error!.Code);
        var check = await sdk.CheckAsync();
        Assert.Equal(LicenseStatus.ProductMismatch, check.Status);
        Assert.False(check.IsValid);
        Assert.Equal(ValidationCode.ProductMismatch, (await sdk.ValidateAsync()).Value!.Code);
        // Every request named the software's own product.
        Assert.Equal(0, (await TheLicense(licensed)).MachinesCount);
    }

    [Fact]
    public async Task a_check_grants_on_a_signed_file_and_offline_keeps_granting_until_the_files_exp_then_asks_to_go_online()
    {
        var licensed = await ALicensedProduct(new { name = "One hour offline", fileLifetime = 3600, entitlements = Array.Empty<string>() });
        var network = TheNetwork();
        var sdk = AnSdk(licensed, network);

        Assert.Equal(LicenseStatus.NotActivated, (await sdk.CheckAsync()).Status);
        Assert.True((await sdk.ActivateAsync()).Succeeded);
        var online = await sdk.CheckAsync();
        Assert.Equal(LicenseStatus.Valid, online.Status);
        Assert.False(online.Offline);
        Assert.Equal(licensed.License.Id, online.File!.LicenseId);
        Assert.Equal("machine-1", online.File.Fingerprint);
        Assert.Equal(online.File.IssuedAt.AddHours(1), online.ValidUntil);

        network.Down = true;
        var offline = await sdk.CheckAsync();
        Assert.Equal(LicenseStatus.Valid, offline.Status);
        Assert.True(offline.Offline);
        Assert.Equal(LicensingErrorCode.Unreachable, offline.Error!.Code);
        Assert.Equal(online.ValidUntil, offline.ValidUntil);

        Fixture.Clock.Advance(TimeSpan.FromMinutes(59));
        Assert.True((await sdk.CheckAsync()).IsValid);
        Fixture.Clock.Advance(TimeSpan.FromMinutes(2));
        var ended = await sdk.CheckAsync();
        Assert.Equal(LicenseStatus.OfflineGraceEnded, ended.Status);
        Assert.False(ended.IsValid);

        network.Down = false;
        var renewed = await sdk.CheckAsync();
        Assert.True(renewed.IsValid, renewed.ToString());
        Assert.False(renewed.Offline);
    }

    [Fact]
    public async Task a_network_that_drops_packets_holds_a_check_only_its_check_timeout_then_the_cache_decides()
    {
        var licensed = await ALicensedProduct();
        var network = TheNetwork();
        var sdk = AnSdk(licensed, network, configure: options => options.CheckTimeout = TimeSpan.FromMilliseconds(200));
        await sdk.ActivateAsync();
        Assert.True((await sdk.CheckAsync()).IsValid);
        network.Hang = TimeSpan.FromMinutes(10);
        var check = await sdk.CheckAsync();
        Assert.True(check.IsValid);
        Assert.True(check.Offline);
        Assert.Equal(LicensingErrorCode.Unreachable, check.Error!.Code);
        Assert.Equal("The service did not answer in time.", check.Error.Title);
    }

    [Fact]
    public async Task a_refusal_online_forgets_the_cached_file_so_that_going_offline_does_not_bring_it_back()
    {
        var licensed = await ALicensedProduct();
        var network = TheNetwork();
        var sdk = AnSdk(licensed, network);
        await sdk.ActivateAsync();
        Assert.True((await sdk.CheckAsync()).IsValid);

        Assert.Equal(200, (await Post($"/api/v1/licenses/{licensed.License.Id}/suspend", licensed.Vendor, new { })).Status);
        var suspended = await sdk.CheckAsync();
        Assert.Equal(LicenseStatus.Suspended, suspended.Status);
        Assert.Equal(LicensingErrorCode.Suspended, suspended.Error!.Code);

        network.Down = true;
        Assert.Equal(LicenseStatus.NoLicenseFile, (await sdk.CheckAsync()).Status);
        Assert.Null(await sdk.Store.ReadAsync(LicensingClient.FileEntry));
    }

    [Fact]
    public async Task validation_sends_the_machine_and_the_entitlements_asked_for()
    {
        var (vendor, product) = await AProductWithEntitlements("export-pdf", "cloud-sync");
        var issued = await Post($"/api/v1/products/{product.Id}/licenses", vendor, new { entitlements = new[] { "export-pdf" } });
        var licensed = new LicensedProduct(vendor, product.Id, product.Code, issued.As<Catalog.Licenses.LicenseDetails>());
        var sdk = AnSdk(licensed, TheNetwork());

        Assert.Equal(ValidationCode.NotActivated, (await sdk.ValidateAsync()).Value!.Code);
        await sdk.ActivateAsync();
        var valid = (await sdk.ValidateAsync(["export-pdf"])).Value!;
        Assert.True(valid.Valid);
        Assert.Equal("machine-1", valid.Machine!.Fingerprint);
        Assert.Equal(ValidationCode.EntitlementsMissing, (await sdk.ValidateAsync(["cloud-sync"])).Value!.Code);
        var check = await sdk.CheckAsync();
        Assert.True(check.HasEntitlement("EXPORT-PDF"));
        Assert.False(check.HasEntitlement("cloud-sync"));
    }
}
