using Catalog.Machines;
using Catalog.Licenses;
using Catalog.Products;
using Catalog.Conventions;
using Catalog.Validation;

namespace Catalog.Tests.Machines;

/// <summary>
/// The software a vendor ships activates its machine with the license key alone; the vendor sees and frees seats
/// with its API key. Seat limits are exact, activation is idempotent by fingerprint.
/// </summary>
public class ActivatingMachines(AppFixture fixture) : ApiTest(fixture)
{
    private Task<ApiResponse> Activate(LicenseDetails license, string fingerprint, string? name = null) =>
        AsLicense("POST", "/api/v1/client/machines", license.Key, JsonSerializer.Serialize(new { fingerprint, name }));

    private Task<LicenseDetails> LicenseOf(Client vendor, LicenseDetails license) =>
        Read<LicenseDetails>("GET", $"/api/v1/licenses/{license.Id}", vendor);

    private async Task<IReadOnlyList<MachineDetails>> MachinesOf(Client vendor, LicenseDetails license) =>
        (await Get($"/api/v1/licenses/{license.Id}/machines?limit=100", vendor)).As<List<MachineDetails>>();

    [Fact]
    public async Task a_machine_activates_with_its_license_key_again_and_again_and_deactivates_on_uninstall()
    {
        var (vendor, license, _) = await ALicenseWithSeatsTaken(maxMachines: 3);
        Assert.Equal(0, license.MachinesCount);

        var first = await Activate(license, "host-8f2a", "Alice's laptop");
        Assert.Equal(201, first.Status);
        Assert.Equal(["id", "licenseId", "fingerprint", "name", "metadata", "activatedAt", "lastHeartbeatAt", "heartbeatExpiresAt"], first.Data.EnumerateObject().Select(x => x.Name));
        var machine = first.As<MachineDetails>();
        Assert.Equal(("host-8f2a", "Alice's laptop", license.Id), (machine.Fingerprint, machine.Name, machine.LicenseId));

        var again = await Activate(license, "host-8f2a");
        Assert.Equal(200, again.Status);
        Assert.Equal(machine.Id, again.As<MachineDetails>().Id);
        Assert.Equal(1, (await LicenseOf(vendor, license)).MachinesCount);
        Assert.Equal(machine.Id, Assert.Single(await MachinesOf(vendor, license)).Id);

        var own = await AsLicense("GET", "/api/v1/client/license", license.Key);
        Assert.Equal(200, own.Status);
        Assert.Equal(license.Id, own.As<LicenseDetails>().Id);
        Assert.DoesNotContain("host-8f2a", own.Text);

        Assert.Equal(204, (await AsLicense("DELETE", "/api/v1/client/machines/host-8f2a", license.Key)).Status);
        Assert.Equal(404, (await AsLicense("DELETE", "/api/v1/client/machines/host-8f2a", license.Key)).Status);
        Assert.Equal(0, (await LicenseOf(vendor, license)).MachinesCount);
        Assert.Empty(await MachinesOf(vendor, license));
        await ReadModelsAgreeWithTheEvents();
    }

    [Fact]
    public async Task validation_as_the_machine_sees_it_names_its_own_machine_only()
    {
        var (_, license, _) = await ALicenseWithSeatsTaken(maxMachines: 3, "mine", "someone-elses");

        var mine = await AsLicense("POST", "/api/v1/client/validate", license.Key, """{"fingerprint":"mine"}""");
        Assert.Equal(200, mine.Status);
        Assert.Equal(["valid", "code", "license", "machine"], mine.Data.EnumerateObject().Select(x => x.Name));
        var verdict = mine.As<ClientLicenseValidation>();
        Assert.Equal((true, "VALID", "mine"), (verdict.Valid, verdict.Code, verdict.Machine?.Fingerprint));
        Assert.DoesNotContain("someone-elses", mine.Text);

        var stranger = (await AsLicense("POST", "/api/v1/client/validate", license.Key, """{"fingerprint":"not-activated"}""")).As<ClientLicenseValidation>();
        Assert.Equal((false, "NOT_ACTIVATED", null), (stranger.Valid, stranger.Code, stranger.Machine));

        var noFingerprint = (await AsLicense("POST", "/api/v1/client/validate", license.Key, "{}")).As<ClientLicenseValidation>();
        Assert.Equal("VALID", noFingerprint.Code);
    }

    [Fact]
    public async Task the_vendor_activates_lists_and_frees_seats_with_its_api_key()
    {
        var (vendor, license, _) = await ALicenseWithSeatsTaken(maxMachines: 1);

        var activated = await Post($"/api/v1/licenses/{license.Id}/machines", vendor, new { fingerprint = "support-desk" });
        Assert.Equal(201, activated.Status);
        var full = await Post($"/api/v1/licenses/{license.Id}/machines", vendor, new { fingerprint = "another" });
        Assert.Equal((409, "MACHINE_LIMIT_REACHED"), (full.Status, full.Code));

        var machine = activated.As<MachineDetails>();
        Assert.Equal(204, (await Delete($"/api/v1/machines/{machine.Id}", vendor)).Status);
        Assert.Equal(404, (await Delete($"/api/v1/machines/{machine.Id}", vendor)).Status);
        // The seat is free at once.
        Assert.Equal(201, (await Post($"/api/v1/licenses/{license.Id}/machines", vendor, new { fingerprint = "another" })).Status);

        var validated = await Post("/api/v1/licenses/validate", vendor, new { key = license.Key, fingerprint = "another" });
        Assert.Equal("VALID", validated.As<LicenseValidation>().Code);
        var notActivated = await Post("/api/v1/licenses/validate", vendor, new { key = license.Key, fingerprint = "support-desk" });
        Assert.Equal("NOT_ACTIVATED", notActivated.As<LicenseValidation>().Code);
    }

    [Fact]
    public async Task another_account_sees_no_machine_and_frees_no_seat()
    {
        var (vendor, license, machines) = await ALicenseWithSeatsTaken(maxMachines: 3, "private");
        var other = await AClient();

        Assert.Equal(404, (await Get($"/api/v1/licenses/{license.Id}/machines", other)).Status);
        Assert.Equal(404, (await Post($"/api/v1/licenses/{license.Id}/machines", other, new { fingerprint = "intruder" })).Status);
        Assert.Equal(404, (await Delete($"/api/v1/machines/{machines[0].Id}", other)).Status);
        Assert.Equal(1, (await LicenseOf(vendor, license)).MachinesCount);
    }

    [Fact]
    public async Task each_vendor_route_needs_its_scope()
    {
        var (vendor, license, machines) = await ALicenseWithSeatsTaken(maxMachines: 3, "m");
        var readOnly = await AKeyFor(vendor.AccountId, Scopes.LicensesRead);
        var validateOnly = await AKeyFor(vendor.AccountId, Scopes.LicensesValidate);

        Assert.Equal(403, (await Get($"/api/v1/licenses/{license.Id}/machines", validateOnly)).Status);
        Assert.Equal(200, (await Get($"/api/v1/licenses/{license.Id}/machines", readOnly)).Status);
        Assert.Equal(403, (await Post($"/api/v1/licenses/{license.Id}/machines", readOnly, new { fingerprint = "n" })).Status);
        Assert.Equal(403, (await Delete($"/api/v1/machines/{machines[0].Id}", readOnly)).Status);
        Assert.Equal(403, (await Patch($"/api/v1/licenses/{license.Id}", readOnly, new { maxMachines = 9 })).Status);
        Assert.Equal(403, (await Post($"/api/v1/licenses/{license.Id}/suspend", readOnly, new { })).Status);
        Assert.Equal(403, (await Post($"/api/v1/licenses/{license.Id}/reinstate", readOnly, new { })).Status);
        var unchanged = await LicenseOf(vendor, license);
        Assert.Equal((1, 3), (unchanged.MachinesCount, unchanged.MaxMachines));
    }

    [Fact]
    public async Task fifty_activations_at_once_on_ten_seats_give_exactly_ten_machines_and_a_rebuild_agrees()
    {
        var (vendor, license, _) = await ALicenseWithSeatsTaken(maxMachines: 10);

        var answers = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => Activate(license, $"machine-{i}")));

        Assert.All(answers, x => Assert.True(x.Status is 201 or 409, x.ToString()));
        Assert.Equal(10, answers.Count(x => x.Status == 201));
        Assert.All(answers.Where(x => x.Status == 409), x => Assert.Equal("MACHINE_LIMIT_REACHED", x.Code));
        Assert.Equal(10, (await LicenseOf(vendor, license)).MachinesCount);
        Assert.Equal(10, (await MachinesOf(vendor, license)).Count);

        await using (var wipe = Store.LightweightSession(vendor.AccountId.ToString()))
        {
            wipe.DeleteWhere<License>(x => x.Id == license.Id);
            wipe.DeleteWhere<Machine>(x => x.LicenseId == license.Id);
            await wipe.SaveChangesAsync();
        }
        var rebuild = await CommandLineRunner.Run("projections", "rebuild");
        Assert.True(rebuild.ExitCode == 0, rebuild.Output + rebuild.Error);
        Assert.Equal(10, (await LicenseOf(vendor, license)).MachinesCount);
        Assert.Equal(10, (await MachinesOf(vendor, license)).Count);
        await ReadModelsAgreeWithTheEvents();
    }

    [Fact]
    public async Task twenty_activations_at_once_with_one_fingerprint_give_one_machine()
    {
        var (vendor, license, _) = await ALicenseWithSeatsTaken(maxMachines: 2);

        var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Activate(license, "the-same-machine")));

        Assert.All(answers, x => Assert.True(x.Status is 200 or 201, x.ToString()));
        Assert.Single(answers, x => x.Status == 201);
        Assert.Single(answers.Select(x => x.As<MachineDetails>().Id).Distinct());
        Assert.Equal(1, (await LicenseOf(vendor, license)).MachinesCount);
    }

    [Fact]
    public async Task a_license_that_cannot_be_used_is_403_with_its_code()
    {
        var (vendor, license, _) = await ALicenseWithSeatsTaken(maxMachines: 3);
        Assert.Equal(200, (await Post($"/api/v1/licenses/{license.Id}/suspend", vendor, new { })).Status);
        var suspended = await Activate(license, "m");
        Assert.Equal((403, "SUSPENDED"), (suspended.Status, suspended.Code));

        var owner = await AClient();
        var product = await Read<ProductDetails>("POST", "/api/v1/products", owner, AProduct("expiring"));
        var expiring = await Read<LicenseDetails>("POST", $"/api/v1/products/{product.Id}/licenses", owner,
            new { expiresAt = DateTimeOffset.UtcNow.AddSeconds(1) });
        await Task.Delay(1500);
        var expired = await Activate(expiring, "m");
        Assert.Equal((403, "EXPIRED"), (expired.Status, expired.Code));

        var orphan = await Read<LicenseDetails>("POST", $"/api/v1/products/{product.Id}/licenses", owner, new { });
        Assert.Equal(204, (await Delete($"/api/v1/products/{product.Id}", owner)).Status);
        var deleted = await Activate(orphan, "m");
        Assert.Equal((403, "PRODUCT_DELETED"), (deleted.Status, deleted.Code));

        // A revoked license key no longer authenticates.
        var (revoker, revoked, _) = await ALicenseWithSeatsTaken(maxMachines: 3);
        Assert.Equal(200, (await Post($"/api/v1/licenses/{revoked.Id}/revoke", revoker, new { })).Status);
        await Task.Delay(LicenseKeyDirectory.CacheFor + TimeSpan.FromMilliseconds(200));
        Assert.Equal(401, (await Activate(revoked, "m")).Status);
        Assert.Equal(0, (await LicenseOf(vendor, license)).MachinesCount);
    }

    [Fact]
    public async Task client_endpoints_take_a_license_key_and_nothing_else()
    {
        var (vendor, license, _) = await ALicenseWithSeatsTaken(maxMachines: 3);

        var none = await Send("POST", "/api/v1/client/validate", null, "{}");
        Assert.Equal(401, none.Status);
        Assert.Equal("License", none.Headers.WWWAuthenticate.ToString());
        Assert.Equal("application/problem+json", none.ContentType.Split(';')[0]);
        Assert.Equal(401, (await AsLicense("POST", "/api/v1/client/validate", "not-a-key", "{}")).Status);
        Assert.Equal(401, (await AsLicense("POST", "/api/v1/client/validate", "LIC-AAAA-BBBB-CCCC-DDDD", "{}")).Status);
        var apiKey = await Send("GET", "/api/v1/client/license", vendor);
        Assert.Equal(401, apiKey.Status);
        Assert.Equal("License", apiKey.Headers.WWWAuthenticate.ToString());

        // And a license key opens nothing of the vendor's.
        var vendorRoute = await AsLicense("GET", "/api/v1/licenses", license.Key);
        Assert.Equal(401, vendorRoute.Status);
        Assert.Equal("Bearer", vendorRoute.Headers.WWWAuthenticate.ToString());
        Assert.Equal(401, (await AsLicense("GET", $"/api/v1/licenses/{license.Id}/machines", license.Key)).Status);
        // The key is matched as validation matches it: case and surrounding spaces do not matter.
        Assert.Equal(200, (await AsLicense("GET", "/api/v1/client/license", "  " + license.Key.ToLowerInvariant())).Status);
    }

    [Theory]
    [InlineData("""{"fingerprint":""}""")]
    [InlineData("""{"fingerprint":"   "}""")]
    [InlineData("""{"fingerprint":"a\u0000b"}""")]
    [InlineData("""{"fingerprint":"a\u0007b"}""")]
    [InlineData("""{"fingerprint":"a\ud800b"}""")]
    [InlineData("""{"fingerprint":12}""")]
    [InlineData("""{}""")]
    public async Task a_bad_fingerprint_is_400_naming_it_and_stores_nothing(string body)
    {
        var (vendor, license, _) = await ALicenseWithSeatsTaken(maxMachines: 3);

        var answer = await AsLicense("POST", "/api/v1/client/machines", license.Key, body);

        Assert.Equal(400, answer.Status);
        Assert.Contains("fingerprint", answer.ErrorFields);
        Assert.Equal(0, (await LicenseOf(vendor, license)).MachinesCount);
    }

    [Fact]
    public async Task a_fingerprint_with_a_slash_deactivates_by_its_escaped_path_and_dots_are_refused()
    {
        var (vendor, license, _) = await ALicenseWithSeatsTaken(maxMachines: 3);
        Assert.Equal(201, (await Activate(license, "aGVsbG8/d29ybGQ=")).Status);

        Assert.Equal(204, (await AsLicense("DELETE", "/api/v1/client/machines/" + Uri.EscapeDataString("aGVsbG8/d29ybGQ="), license.Key)).Status);
        Assert.Equal(0, (await LicenseOf(vendor, license)).MachinesCount);
        Assert.Contains("fingerprint", (await Activate(license, "..")).ErrorFields);
        Assert.Contains("fingerprint", (await Activate(license, ".")).ErrorFields);
    }

    [Fact]
    public async Task a_revoked_license_cannot_be_reinstated_and_a_key_that_cannot_exist_is_not_found()
    {
        var (vendor, license, _) = await ALicenseWithSeatsTaken(maxMachines: 3);
        await Post($"/api/v1/licenses/{license.Id}/suspend", vendor, new { });
        await Post($"/api/v1/licenses/{license.Id}/revoke", vendor, new { });

        Assert.Equal(409, (await Post($"/api/v1/licenses/{license.Id}/reinstate", vendor, new { })).Status);
        Assert.Equal("REVOKED", (await Post("/api/v1/licenses/validate", vendor, new { key = license.Key })).As<LicenseValidation>().Code);
        var nul = await Send("POST", "/api/v1/licenses/validate", vendor, "{\"key\":\"\\u0000LIC-AAAA\"}"); // a NUL PostgreSQL would refuse
        Assert.Equal("NOT_FOUND", nul.As<LicenseValidation>().Code);
        var notAKey = await Post("/api/v1/licenses/validate", vendor, new { key = "' OR 1=1 --" });
        Assert.Equal("NOT_FOUND", notAKey.As<LicenseValidation>().Code);
    }

    [Fact]
    public async Task a_fingerprint_of_255_characters_is_taken_and_256_is_not()
    {
        var (_, license, _) = await ALicenseWithSeatsTaken(maxMachines: 3);
        Assert.Equal(201, (await Activate(license, new string('f', 255))).Status);
        Assert.Contains("fingerprint", (await Activate(license, new string('f', 256))).ErrorFields);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("1.5")]
    [InlineData("\"3\"")]
    [InlineData("10001")]
    public async Task max_machines_out_of_range_is_400(string value)
    {
        var vendor = await AClient();
        var product = (await CreateProduct(vendor)).Id;

        var answer = await Send("POST", $"/api/v1/products/{product}/licenses", vendor, $$"""{"maxMachines":{{value}}}""");

        Assert.Equal(400, answer.Status);
        Assert.Contains("maxMachines", answer.ErrorFields);
        Assert.Equal(0, await LicensesCount(vendor, product));
    }
}
