using Catalog.Machines;
using Catalog.Licenses;

namespace Catalog.Tests.Machines;

/// <summary>
/// The software a vendor ships activates its machine with the license key alone; the vendor sees and frees seats
/// with its API key. Seat limits are exact, activation is idempotent by fingerprint.
/// </summary>
public class ActivatingMachines(AppFixture fixture) : ApiTest(fixture)
{
    private Task<ApiResponse> Activate(JsonElement license, string fingerprint, string? name = null) =>
        AsLicense("POST", "/api/v1/client/machines", Key(license), JsonSerializer.Serialize(new { fingerprint, name }));

    private async Task<JsonElement> LicenseOf(Client vendor, JsonElement license) =>
        (await Get($"/api/v1/licenses/{Id(license)}", vendor)).Data;

    [Fact]
    public async Task a_machine_activates_with_its_license_key_again_and_again_and_deactivates_on_uninstall()
    {
        var (vendor, license) = await ALicense();
        Assert.Equal(3, license.GetProperty("maxMachines").GetInt32());
        Assert.Equal(0, license.GetProperty("machinesCount").GetInt32());

        var first = await Activate(license, "host-8f2a", "Alice's laptop");
        Assert.Equal(201, first.Status);
        Assert.Equal(["id", "licenseId", "fingerprint", "name", "metadata", "activatedAt"], first.Data.EnumerateObject().Select(x => x.Name));
        Assert.Equal("host-8f2a", first.Data.GetProperty("fingerprint").GetString());
        Assert.Equal(Id(license), first.Data.GetProperty("licenseId").GetString());

        var again = await Activate(license, "host-8f2a");
        Assert.Equal(200, again.Status);
        Assert.Equal(first.Data.GetProperty("id").GetString(), again.Data.GetProperty("id").GetString());
        Assert.Equal(1, (await LicenseOf(vendor, license)).GetProperty("machinesCount").GetInt32());

        var listed = await Get($"/api/v1/licenses/{Id(license)}/machines", vendor);
        Assert.Equal(200, listed.Status);
        Assert.Equal(first.Data.GetProperty("id").GetString(), Assert.Single(listed.Data.EnumerateArray()).GetProperty("id").GetString());

        var own = await AsLicense("GET", "/api/v1/client/license", Key(license));
        Assert.Equal(200, own.Status);
        Assert.Equal(Id(license), own.Data.GetProperty("id").GetString());
        Assert.DoesNotContain("host-8f2a", own.Text);

        Assert.Equal(204, (await AsLicense("DELETE", "/api/v1/client/machines/host-8f2a", Key(license))).Status);
        Assert.Equal(404, (await AsLicense("DELETE", "/api/v1/client/machines/host-8f2a", Key(license))).Status);
        Assert.Equal(0, (await LicenseOf(vendor, license)).GetProperty("machinesCount").GetInt32());
        Assert.Equal(0, (await Get($"/api/v1/licenses/{Id(license)}/machines", vendor)).Data.GetArrayLength());
        await ReadModelsAgreeWithTheEvents();
    }

    [Fact]
    public async Task validation_as_the_machine_sees_it_names_its_own_machine_only()
    {
        var (_, license) = await ALicense();
        await Activate(license, "mine");
        await Activate(license, "someone-elses");

        var mine = await AsLicense("POST", "/api/v1/client/validate", Key(license), """{"fingerprint":"mine"}""");
        Assert.Equal(200, mine.Status);
        Assert.Equal(["valid", "code", "license", "machine"], mine.Data.EnumerateObject().Select(x => x.Name));
        Assert.True(mine.Data.GetProperty("valid").GetBoolean());
        Assert.Equal("VALID", mine.Data.GetProperty("code").GetString());
        Assert.Equal("mine", mine.Data.GetProperty("machine").GetProperty("fingerprint").GetString());
        Assert.DoesNotContain("someone-elses", mine.Text);

        var stranger = await AsLicense("POST", "/api/v1/client/validate", Key(license), """{"fingerprint":"not-activated"}""");
        Assert.False(stranger.Data.GetProperty("valid").GetBoolean());
        Assert.Equal("NOT_ACTIVATED", stranger.Data.GetProperty("code").GetString());
        Assert.Equal(JsonValueKind.Null, stranger.Data.GetProperty("machine").ValueKind);

        var noFingerprint = await AsLicense("POST", "/api/v1/client/validate", Key(license), "{}");
        Assert.Equal("VALID", noFingerprint.Data.GetProperty("code").GetString());
    }

    [Fact]
    public async Task the_vendor_activates_lists_and_frees_seats_with_its_api_key()
    {
        var (vendor, license) = await ALicense(new { maxMachines = 1 });

        var activated = await Post($"/api/v1/licenses/{Id(license)}/machines", vendor, new { fingerprint = "support-desk" });
        Assert.Equal(201, activated.Status);
        var full = await Post($"/api/v1/licenses/{Id(license)}/machines", vendor, new { fingerprint = "another" });
        Assert.Equal(409, full.Status);
        Assert.Equal("MACHINE_LIMIT_REACHED", full.Json.GetProperty("code").GetString());

        Assert.Equal(204, (await Delete($"/api/v1/machines/{activated.Data.GetProperty("id")}", vendor)).Status);
        Assert.Equal(404, (await Delete($"/api/v1/machines/{activated.Data.GetProperty("id")}", vendor)).Status);
        // The seat is free at once.
        Assert.Equal(201, (await Post($"/api/v1/licenses/{Id(license)}/machines", vendor, new { fingerprint = "another" })).Status);

        var validated = await Post("/api/v1/licenses/validate", vendor, new { key = Key(license), fingerprint = "another" });
        Assert.Equal("VALID", validated.Data.GetProperty("code").GetString());
        var notActivated = await Post("/api/v1/licenses/validate", vendor, new { key = Key(license), fingerprint = "support-desk" });
        Assert.Equal("NOT_ACTIVATED", notActivated.Data.GetProperty("code").GetString());
    }

    [Fact]
    public async Task another_account_sees_no_machine_and_frees_no_seat()
    {
        var (vendor, license) = await ALicense();
        var machine = (await Activate(license, "private")).Data.GetProperty("id").GetString();
        var other = await AClient();

        Assert.Equal(404, (await Get($"/api/v1/licenses/{Id(license)}/machines", other)).Status);
        Assert.Equal(404, (await Post($"/api/v1/licenses/{Id(license)}/machines", other, new { fingerprint = "intruder" })).Status);
        Assert.Equal(404, (await Delete($"/api/v1/machines/{machine}", other)).Status);
        Assert.Equal(1, (await LicenseOf(vendor, license)).GetProperty("machinesCount").GetInt32());
    }

    [Fact]
    public async Task each_vendor_route_needs_its_scope()
    {
        var (vendor, license) = await ALicense();
        var machine = (await Activate(license, "m")).Data.GetProperty("id").GetString();
        var readOnly = await AKeyFor(vendor.AccountId, Scopes.LicensesRead);
        var validateOnly = await AKeyFor(vendor.AccountId, Scopes.LicensesValidate);

        Assert.Equal(403, (await Get($"/api/v1/licenses/{Id(license)}/machines", validateOnly)).Status);
        Assert.Equal(200, (await Get($"/api/v1/licenses/{Id(license)}/machines", readOnly)).Status);
        Assert.Equal(403, (await Post($"/api/v1/licenses/{Id(license)}/machines", readOnly, new { fingerprint = "n" })).Status);
        Assert.Equal(403, (await Delete($"/api/v1/machines/{machine}", readOnly)).Status);
        Assert.Equal(403, (await Patch($"/api/v1/licenses/{Id(license)}", readOnly, new { maxMachines = 9 })).Status);
        Assert.Equal(403, (await Post($"/api/v1/licenses/{Id(license)}/suspend", readOnly, new { })).Status);
        Assert.Equal(403, (await Post($"/api/v1/licenses/{Id(license)}/reinstate", readOnly, new { })).Status);
        Assert.Equal(1, (await LicenseOf(vendor, license)).GetProperty("machinesCount").GetInt32());
        Assert.Equal(3, (await LicenseOf(vendor, license)).GetProperty("maxMachines").GetInt32());
    }

    [Fact]
    public async Task fifty_activations_at_once_on_ten_seats_give_exactly_ten_machines_and_a_rebuild_agrees()
    {
        var (vendor, license) = await ALicense(new { maxMachines = 10 });

        var answers = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => Activate(license, $"machine-{i}")));

        Assert.All(answers, x => Assert.True(x.Status is 201 or 409, x.ToString()));
        Assert.Equal(10, answers.Count(x => x.Status == 201));
        Assert.All(answers.Where(x => x.Status == 409), x => Assert.Equal("MACHINE_LIMIT_REACHED", x.Json.GetProperty("code").GetString()));
        Assert.Equal(10, (await LicenseOf(vendor, license)).GetProperty("machinesCount").GetInt32());
        Assert.Equal(10, (await Get($"/api/v1/licenses/{Id(license)}/machines?limit=100", vendor)).Data.GetArrayLength());

        await using (var wipe = Store.LightweightSession(vendor.AccountId.ToString()))
        {
            wipe.DeleteWhere<License>(x => x.Id == Guid.Parse(Id(license)));
            wipe.DeleteWhere<Machine>(x => x.LicenseId == Guid.Parse(Id(license)));
            await wipe.SaveChangesAsync();
        }
        var rebuild = await CommandLineRunner.Run("projections", "rebuild");
        Assert.True(rebuild.ExitCode == 0, rebuild.Output + rebuild.Error);
        Assert.Equal(10, (await LicenseOf(vendor, license)).GetProperty("machinesCount").GetInt32());
        Assert.Equal(10, (await Get($"/api/v1/licenses/{Id(license)}/machines?limit=100", vendor)).Data.GetArrayLength());
        await ReadModelsAgreeWithTheEvents();
    }

    [Fact]
    public async Task twenty_activations_at_once_with_one_fingerprint_give_one_machine()
    {
        var (vendor, license) = await ALicense(new { maxMachines = 2 });

        var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Activate(license, "the-same-machine")));

        Assert.All(answers, x => Assert.True(x.Status is 200 or 201, x.ToString()));
        Assert.Single(answers, x => x.Status == 201);
        Assert.Single(answers.Select(x => x.Data.GetProperty("id").GetString()).Distinct());
        Assert.Equal(1, (await LicenseOf(vendor, license)).GetProperty("machinesCount").GetInt32());
    }

    [Fact]
    public async Task a_license_that_cannot_be_used_is_403_with_its_code()
    {
        var (vendor, license) = await ALicense();
        Assert.Equal(200, (await Post($"/api/v1/licenses/{Id(license)}/suspend", vendor, new { })).Status);
        var suspended = await Activate(license, "m");
        Assert.Equal(403, suspended.Status);
        Assert.Equal("SUSPENDED", suspended.Json.GetProperty("code").GetString());

        var (owner, expiring) = await ALicense(new { expiresAt = DateTimeOffset.UtcNow.AddSeconds(1) });
        await Task.Delay(1500);
        var expired = await Activate(expiring, "m");
        Assert.Equal(403, expired.Status);
        Assert.Equal("EXPIRED", expired.Json.GetProperty("code").GetString());

        var productOf = expiring.GetProperty("productId").GetString();
        var (_, orphan) = (owner, await IssueLicense(owner, productOf!));
        Assert.Equal(204, (await Delete($"/api/v1/products/{productOf}", owner)).Status);
        var deleted = await Activate(orphan, "m");
        Assert.Equal(403, deleted.Status);
        Assert.Equal("PRODUCT_DELETED", deleted.Json.GetProperty("code").GetString());

        // A revoked license key no longer authenticates.
        var (revoker, revoked) = await ALicense();
        Assert.Equal(200, (await Post($"/api/v1/licenses/{Id(revoked)}/revoke", revoker, new { })).Status);
        await Task.Delay(LicenseKeyDirectory.CacheFor + TimeSpan.FromMilliseconds(200));
        Assert.Equal(401, (await Activate(revoked, "m")).Status);
        Assert.Equal(0, (await LicenseOf(vendor, license)).GetProperty("machinesCount").GetInt32());
    }

    [Fact]
    public async Task client_endpoints_take_a_license_key_and_nothing_else()
    {
        var (vendor, license) = await ALicense();

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
        var vendorRoute = await AsLicense("GET", "/api/v1/licenses", Key(license));
        Assert.Equal(401, vendorRoute.Status);
        Assert.Equal("Bearer", vendorRoute.Headers.WWWAuthenticate.ToString());
        Assert.Equal(401, (await AsLicense("GET", $"/api/v1/licenses/{Id(license)}/machines", Key(license))).Status);
        // The key is matched as validation matches it: case and surrounding spaces do not matter.
        Assert.Equal(200, (await AsLicense("GET", "/api/v1/client/license", "  " + Key(license).ToLowerInvariant())).Status);
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
        var (vendor, license) = await ALicense();

        var answer = await AsLicense("POST", "/api/v1/client/machines", Key(license), body);

        Assert.Equal(400, answer.Status);
        Assert.Contains("fingerprint", answer.ErrorFields);
        Assert.Equal(0, (await LicenseOf(vendor, license)).GetProperty("machinesCount").GetInt32());
    }

    [Fact]
    public async Task a_fingerprint_with_a_slash_deactivates_by_its_escaped_path_and_dots_are_refused()
    {
        var (vendor, license) = await ALicense();
        Assert.Equal(201, (await Activate(license, "aGVsbG8/d29ybGQ=")).Status);

        Assert.Equal(204, (await AsLicense("DELETE", "/api/v1/client/machines/" + Uri.EscapeDataString("aGVsbG8/d29ybGQ="), Key(license))).Status);
        Assert.Equal(0, (await LicenseOf(vendor, license)).GetProperty("machinesCount").GetInt32());
        Assert.Contains("fingerprint", (await Activate(license, "..")).ErrorFields);
        Assert.Contains("fingerprint", (await Activate(license, ".")).ErrorFields);
    }

    [Fact]
    public async Task a_revoked_license_cannot_be_reinstated_and_a_key_that_cannot_exist_is_not_found()
    {
        var (vendor, license) = await ALicense();
        await Post($"/api/v1/licenses/{Id(license)}/suspend", vendor, new { });
        await Post($"/api/v1/licenses/{Id(license)}/revoke", vendor, new { });

        Assert.Equal(409, (await Post($"/api/v1/licenses/{Id(license)}/reinstate", vendor, new { })).Status);
        Assert.Equal("REVOKED", (await Post("/api/v1/licenses/validate", vendor, new { key = Key(license) })).Data.GetProperty("code").GetString());
        var nul = await Send("POST", "/api/v1/licenses/validate", vendor, "{\"key\":\"\\u0000LIC-AAAA\"}"); // a NUL PostgreSQL would refuse
        Assert.Equal("NOT_FOUND", nul.Data.GetProperty("code").GetString());
        var notAKey = await Post("/api/v1/licenses/validate", vendor, new { key = "' OR 1=1 --" });
        Assert.Equal("NOT_FOUND", notAKey.Data.GetProperty("code").GetString());
    }

    [Fact]
    public async Task a_fingerprint_of_255_characters_is_taken_and_256_is_not()
    {
        var (_, license) = await ALicense();
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
        var product = (await CreateProduct(vendor)).GetProperty("id").GetString()!;

        var answer = await Send("POST", $"/api/v1/products/{product}/licenses", vendor, $$"""{"maxMachines":{{value}}}""");

        Assert.Equal(400, answer.Status);
        Assert.Contains("maxMachines", answer.ErrorFields);
        Assert.Equal(0, await LicensesCount(vendor, product));
    }
}
