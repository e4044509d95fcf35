using Catalog.EventLog;
using Catalog.Licenses;
using Catalog.Validation;

namespace Catalog.Tests.Licenses;

/// <summary>Renewal, seats and metadata by PATCH; suspension and reinstatement; their events in the log.</summary>
public class LicenseLifecycle(AppFixture fixture) : ApiTest(fixture)
{
    private async Task<(Client Vendor, Guid Id, string Key)> ALicenseById(object? body = null)
    {
        var (vendor, license) = await ALicense(body);
        return (vendor, license.Id, license.Key);
    }

    [Fact]
    public async Task a_patch_renews_resizes_and_relabels_and_changes_only_what_it_names()
    {
        var (vendor, id, _) = await ALicenseById(new { maxMachines = 3, metadata = new { seat = "alice" } });
        var renewal = DateTimeOffset.UtcNow.AddYears(1);

        var patched = await Patch($"/api/v1/licenses/{id}", vendor, new { expiresAt = renewal, maxMachines = 5 });

        Assert.Equal(200, patched.Status);
        var license = patched.As<LicenseDetails>();
        Assert.Equal(5, license.MaxMachines);
        // The timestamp as the wire writes it: UTC, milliseconds, Z.
        Assert.Equal(renewal.ToString("yyyy-MM-ddTHH:mm:ss.fffZ"), patched.Data.GetProperty("expiresAt").GetString());
        Assert.Equal("alice", license.Metadata["seat"].GetString());
        var stored = (await Get($"/api/v1/licenses/{id}", vendor)).As<LicenseDetails>();
        Assert.Equal(patched.Text, (await Get($"/api/v1/licenses/{id}", vendor)).Text);
        Assert.Equal(5, stored.MaxMachines);

        var unlimited = await Send("PATCH", $"/api/v1/licenses/{id}", vendor, """{"maxMachines":null,"expiresAt":null}""");
        // Written as null, not left out.
        Assert.Equal(JsonValueKind.Null, unlimited.Data.GetProperty("maxMachines").ValueKind);
        Assert.Equal(JsonValueKind.Null, unlimited.Data.GetProperty("expiresAt").ValueKind);
    }

    [Fact]
    public async Task max_machines_never_goes_below_the_machines_active()
    {
        var (vendor, id, key) = await ALicenseById(new { maxMachines = 3 });
        foreach (var fingerprint in new[] { "a", "b" })
            Assert.Equal(201, (await AsLicense("POST", "/api/v1/client/machines", key, $$"""{"fingerprint":"{{fingerprint}}"}""")).Status);

        Assert.Equal(409, (await Patch($"/api/v1/licenses/{id}", vendor, new { maxMachines = 1 })).Status);
        Assert.Equal(200, (await Patch($"/api/v1/licenses/{id}", vendor, new { maxMachines = 2 })).Status);
        var full = await AsLicense("POST", "/api/v1/client/machines", key, """{"fingerprint":"c"}""");
        Assert.Equal(409, full.Status);
        Assert.Equal("MACHINE_LIMIT_REACHED", full.Code);
    }

    [Theory]
    [InlineData("""{"maxMachines":0}""", "maxMachines")]
    [InlineData("""{"maxMachines":10001}""", "maxMachines")]
    [InlineData("""{"maxMachines":2.5}""", "maxMachines")]
    [InlineData("""{"expiresAt":"2001-01-01T00:00:00Z"}""", "expiresAt")]
    [InlineData("""{"expiresAt":"tomorrow"}""", "expiresAt")]
    [InlineData("""{"metadata":{"k":[1]}}""", "metadata.k")]
    public async Task a_bad_patch_is_400_naming_the_field_and_changes_nothing(string body, string field)
    {
        var (vendor, id, _) = await ALicenseById();
        var before = (await Get($"/api/v1/licenses/{id}", vendor)).Text;

        var answer = await Send("PATCH", $"/api/v1/licenses/{id}", vendor, body);

        Assert.Equal(400, answer.Status);
        Assert.Contains(field, answer.ErrorFields);
        Assert.Equal(before, (await Get($"/api/v1/licenses/{id}", vendor)).Text);
    }

    [Fact]
    public async Task a_suspended_license_validates_as_suspended_until_reinstated_and_both_are_idempotent()
    {
        var (vendor, id, key) = await ALicenseById();

        var suspended = await Post($"/api/v1/licenses/{id}/suspend", vendor, new { });
        Assert.Equal(200, suspended.Status);
        Assert.Equal("suspended", suspended.As<LicenseDetails>().Status);
        Assert.Equal(200, (await Post($"/api/v1/licenses/{id}/suspend", vendor, new { })).Status);
        var verdict = await Post("/api/v1/licenses/validate", vendor, new { key });
        Assert.Equal("SUSPENDED", verdict.As<LicenseValidation>().Code);
        Assert.Equal("SUSPENDED", (await AsLicense("POST", "/api/v1/client/validate", key, "{}")).As<ClientLicenseValidation>().Code);
        Assert.Single((await Get($"/api/v1/licenses?status=suspended", vendor)).As<List<LicenseDetails>>());

        var reinstated = await Post($"/api/v1/licenses/{id}/reinstate", vendor, new { });
        Assert.Equal("active", reinstated.As<LicenseDetails>().Status);
        Assert.Equal(200, (await Post($"/api/v1/licenses/{id}/reinstate", vendor, new { })).Status);
        Assert.Equal("VALID", (await Post("/api/v1/licenses/validate", vendor, new { key })).As<LicenseValidation>().Code);

        // The log holds one event of each, on the license's own stream.
        var log = (await Get("/api/v1/events?limit=100", vendor)).As<List<EventLogEntry>>()
            .Where(x => x.StreamId == id).Select(x => x.Type);
        Assert.Equal(["license.suspended", "license.reinstated"], log);
    }

    [Fact]
    public async Task a_revoked_license_cannot_be_changed_or_suspended()
    {
        var (vendor, id, _) = await ALicenseById();
        await Post($"/api/v1/licenses/{id}/revoke", vendor, new { });

        Assert.Equal(409, (await Patch($"/api/v1/licenses/{id}", vendor, new { maxMachines = 9 })).Status);
        Assert.Equal(409, (await Post($"/api/v1/licenses/{id}/suspend", vendor, new { })).Status);
        var other = await AClient();
        Assert.Equal(404, (await Get($"/api/v1/licenses/{id}", other)).Status);
        Assert.Equal(404, (await Patch($"/api/v1/licenses/{id}", other, new { maxMachines = 9 })).Status);
        Assert.Equal(404, (await Post($"/api/v1/licenses/{id}/suspend", other, new { })).Status);
    }

    [Fact]
    public async Task machine_and_lifecycle_events_reach_the_log_and_webhooks()
    {
        await using var receiver = await Catalog.Tests.Webhooks.Receiver.Start();
        var (vendor, id, key) = await ALicenseById();
        string[] types = ["license.updated", "license.suspended", "license.reinstated", "machine.activated", "machine.deactivated"];
        Assert.Equal(201, (await Post("/api/v1/webhook-endpoints", vendor, new { url = receiver.Url, events = types })).Status);

        await AsLicense("POST", "/api/v1/client/machines", key, """{"fingerprint":"f1"}""");
        await AsLicense("DELETE", "/api/v1/client/machines/f1", key);
        await Patch($"/api/v1/licenses/{id}", vendor, new { maxMachines = 7 });
        await Post($"/api/v1/licenses/{id}/suspend", vendor, new { });
        await Post($"/api/v1/licenses/{id}/reinstate", vendor, new { });

        string[] expected = ["machine.activated", "machine.deactivated", "license.updated", "license.suspended", "license.reinstated"];
        await Eventually(async () => (await Get($"/api/v1/events?limit=100&cursor=0", vendor)).Data.GetArrayLength() >= 7, "the log");
        var log = (await Get("/api/v1/events?limit=100", vendor)).As<List<EventLogEntry>>().Select(x => x.Type).ToList();
        Assert.Equal(expected, log.Where(x => x is not ("product.created" or "license.issued")));
        await Eventually(() => Task.FromResult(receiver.Requests.Count >= 5), "the deliveries");
        Assert.Equal(expected.Order(), receiver.Requests.Select(x => JsonDocument.Parse(x.Body).RootElement.GetProperty("type").GetString()).Order());
        var activated = receiver.Requests.Select(x => JsonDocument.Parse(x.Body).RootElement).First(x => x.GetProperty("type").GetString() == "machine.activated");
        Assert.Equal("f1", activated.GetProperty("data").GetProperty("fingerprint").GetString());
    }
}
