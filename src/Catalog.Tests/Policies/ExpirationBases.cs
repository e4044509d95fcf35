using Catalog.Conventions;
using Catalog.Licenses;

namespace Catalog.Tests.Policies;

/// <summary>
/// When a license's clock starts: at issuance (creation), or at its first activation or first validation, when its
/// expiry is set once (however many first events race) and recorded as license.updated.
/// </summary>
public class ExpirationBases(AppFixture fixture) : ApiTest(fixture)
{
    private const long Day = 86_400;

    private async Task<(Client Vendor, LicenseDetails License)> ALicenseUnder(object policy)
    {
        var (vendor, product) = await AProductWithEntitlements();
        var created = await APolicy(vendor, product.Id, policy);
        return (vendor, await IssueLicense(vendor, product.Id, new { policyId = created.Id }));
    }

    private async Task<List<Catalog.EventLog.EventLogEntry>> UpdatesOf(Client vendor, Guid licenseId) =>
        (await EventsOfType(vendor, "license.updated")).Where(x => x.StreamId == licenseId).ToList();

    [Fact]
    public async Task under_creation_the_license_expires_its_duration_after_issuance()
    {
        var (_, license) = await ALicenseUnder(new { name = "Yearly", duration = 365 * Day });

        Assert.Equal(license.CreatedAt.AddDays(365), license.ExpiresAt);
    }

    [Fact]
    public async Task under_first_activation_the_clock_starts_once_however_many_first_activations_race()
    {
        var (vendor, license) = await ALicenseUnder(new { name = "A year from first use", duration = 365 * Day, expirationBasis = "firstActivation", maxMachines = 20 });
        Assert.Null(license.ExpiresAt);
        // A validation is not an activation: the clock still waits.
        await AsLicense("POST", "/api/v1/client/validate", license.Key, "{}");
        Assert.Null((await Get($"/api/v1/licenses/{license.Id}", vendor)).As<LicenseDetails>().ExpiresAt);

        var activations = await Task.WhenAll(Enumerable.Range(0, 12).Select(i =>
            AsLicense("POST", "/api/v1/client/machines", license.Key, JsonSerializer.Serialize(new { fingerprint = $"host-{i}" }))));

        Assert.All(activations, x => Assert.Equal(201, x.Status));
        var started = (await Get($"/api/v1/licenses/{license.Id}", vendor)).As<LicenseDetails>();
        var first = activations.Select(x => x.As<Catalog.Machines.MachineDetails>().ActivatedAt).Min();
        Assert.Equal(first.AddDays(365), started.ExpiresAt);
        var updated = Assert.Single(await UpdatesOf(vendor, license.Id));
        Assert.Equal(started.ExpiresAt, updated.Data.GetProperty("expiresAt").GetDateTimeOffset());
        // A later activation moves nothing.
        await AsLicense("DELETE", "/api/v1/client/machines/host-0", license.Key);
        await AsLicense("POST", "/api/v1/client/machines", license.Key, """{"fingerprint": "host-0"}""");
        Assert.Equal(started.ExpiresAt, (await Get($"/api/v1/licenses/{license.Id}", vendor)).As<LicenseDetails>().ExpiresAt);
    }

    [Fact]
    public async Task under_first_validation_the_clock_starts_once_however_many_first_validations_race()
    {
        var (vendor, license) = await ALicenseUnder(new { name = "Two weeks from first check", duration = 14 * Day, expirationBasis = "firstValidation" });
        Assert.Null(license.ExpiresAt);

        var validations = await Task.WhenAll(Enumerable.Range(0, 12).Select(i => i % 2 == 0
            ? AsLicense("POST", "/api/v1/client/validate", license.Key, "{}")
            : Send("POST", "/api/v1/licenses/validate", vendor, JsonSerializer.Serialize(new { key = license.Key }))));

        Assert.All(validations, x => Assert.Equal("VALID", x.Data.GetProperty("code").GetString()));
        var expiries = validations.Select(x => x.Data.GetProperty("license").GetProperty("expiresAt").GetDateTimeOffset()).Distinct().ToList();
        var expiry = Assert.Single(expiries);
        Assert.Equal(expiry, (await Get($"/api/v1/licenses/{license.Id}", vendor)).As<LicenseDetails>().ExpiresAt);
        Assert.Single(await UpdatesOf(vendor, license.Id));
        Assert.InRange(expiry - DateTimeOffset.UtcNow, TimeSpan.FromDays(14) - TimeSpan.FromMinutes(1), TimeSpan.FromDays(14));
    }

    [Fact]
    public async Task first_validations_racing_the_first_activation_all_answer_and_the_clock_starts_once()
    {
        for (var round = 0; round < 4; round++)
        {
            var (vendor, license) = await ALicenseUnder(new { name = "From first check", duration = 30 * Day, expirationBasis = "firstValidation" });

            // The activations start the license's stream while the validations wait to start its clock.
            var answers = await Task.WhenAll(Enumerable.Range(0, 10).Select(i => i % 3 == 0
                ? AsLicense("POST", "/api/v1/client/machines", license.Key, JsonSerializer.Serialize(new { fingerprint = $"host-{i}" }))
                : AsLicense("POST", "/api/v1/client/validate", license.Key, "{}")));

            Assert.All(answers, x => Assert.True(x.Status is 200 or 201, x.ToString()));
            Assert.Single(await UpdatesOf(vendor, license.Id));
        }
    }

    [Fact]
    public async Task a_license_file_starts_a_waiting_clock_so_files_alone_never_make_a_license_perpetual()
    {
        var (vendor, license) = await ALicenseUnder(new { name = "A year from first check", duration = 365 * Day, expirationBasis = "firstValidation" });

        var file = await AsLicense("POST", "/api/v1/client/license-file", license.Key, "{}");

        Assert.Equal(200, file.Status);
        var started = (await Get($"/api/v1/licenses/{license.Id}", vendor)).As<LicenseDetails>().ExpiresAt;
        Assert.NotNull(started);
        var claims = JsonDocument.Parse(System.Buffers.Text.Base64Url.DecodeFromChars(file.Data.GetProperty("file").GetString()!.Split('.')[1])).RootElement;
        Assert.Equal(started, claims.GetProperty("license").GetProperty("expiresAt").GetDateTimeOffset());
        Assert.Single(await UpdatesOf(vendor, license.Id));
    }

    [Fact]
    public async Task a_license_that_cannot_be_used_starts_no_clock_and_an_expiry_of_its_own_stops_the_wait()
    {
        var (vendor, license) = await ALicenseUnder(new { name = "Monthly from first check", duration = 30 * Day, expirationBasis = "firstValidation" });
        Assert.Equal(200, (await Post($"/api/v1/licenses/{license.Id}/suspend", vendor, new { })).Status);

        var suspended = await Send("POST", "/api/v1/licenses/validate", vendor, JsonSerializer.Serialize(new { key = license.Key }));
        Assert.Equal("SUSPENDED", suspended.Data.GetProperty("code").GetString());
        Assert.Empty(await UpdatesOf(vendor, license.Id));

        var renewed = DateTimeOffset.UtcNow.AddDays(3);
        Assert.Equal(200, (await Post($"/api/v1/licenses/{license.Id}/reinstate", vendor, new { })).Status);
        Assert.Equal(200, (await Patch($"/api/v1/licenses/{license.Id}", vendor, new { expiresAt = renewed })).Status);
        var valid = await Send("POST", "/api/v1/licenses/validate", vendor, JsonSerializer.Serialize(new { key = license.Key }));
        Assert.Equal(renewed.ToMilliseconds(), valid.Data.GetProperty("license").GetProperty("expiresAt").GetDateTimeOffset());
    }
}
