namespace Catalog.Tests.Accounts;

/// <summary>
/// License events carry license keys, so only a key that may read licenses sees them; and a vendor's license
/// server validates with licenses:validate, which lists nothing.
/// </summary>
public class ScopesKeepLicenseKeysIn(AppFixture fixture) : ApiTest(fixture)
{
    [Fact]
    public async Task licenses_validate_validates_but_lists_nothing_and_licenses_read_implies_it()
    {
        var owner = await AClient();
        var product = await AProductWithLicenses(owner, 1);
        var validator = await AKeyFor(owner.AccountId, Scopes.LicensesValidate);
        var reader = await AKeyFor(owner.AccountId, Scopes.LicensesRead);
        var body = new { key = product.Licenses[0].Key };

        var byValidator = await Post("/api/v1/licenses/validate", validator, body);
        var byReader = await Post("/api/v1/licenses/validate", reader, body);
        var listing = await Get("/api/v1/licenses", validator);
        var reading = await Get($"/api/v1/licenses/{product.Licenses[0].Id}", validator);
        var withNeither = await Post("/api/v1/licenses/validate", await AKeyFor(owner.AccountId, Scopes.ProductsRead), body);

        Assert.Equal("VALID", byValidator.As<Catalog.Licenses.LicenseValidation>().Code);
        Assert.Equal("VALID", byReader.As<Catalog.Licenses.LicenseValidation>().Code);
        Assert.Equal([403, 403], new[] { listing.Status, reading.Status });
        Assert.Equal(403, withNeither.Status);
        Assert.Contains("'licenses:validate'", withNeither.Detail);
    }

    [Fact]
    public async Task the_event_log_leaves_license_events_out_without_licenses_read()
    {
        var owner = await AClient();
        var product = await AProductWithLicenses(owner, 2);
        // A machine's events carry its fingerprint, which only licenses:read may list: they are left out too.
        Assert.Equal(201, (await AsLicense("POST", "/api/v1/client/machines", product.Licenses[0].Key, """{"fingerprint":"secret-host"}""")).Status);
        await Eventually(async () => (await Get("/api/v1/events", owner)).Data.GetArrayLength() == 4, "the machine's event in the log");
        var eventsOnly = await AKeyFor(owner.AccountId, Scopes.EventsRead);
        var eventsAndLicenses = await AKeyFor(owner.AccountId, Scopes.EventsRead, Scopes.LicensesRead);

        var withoutLicenses = await Get("/api/v1/events", eventsOnly);
        var askedForIssuances = await Get("/api/v1/events?type=license.issued", eventsOnly);
        var withLicenses = await Get("/api/v1/events", eventsAndLicenses);

        static string[] Types(ApiResponse r) => r.As<List<Catalog.EventLog.EventLogEntry>>().Select(x => x.Type).ToArray();
        Assert.Equal(["product.created"], Types(withoutLicenses));
        Assert.DoesNotContain(product.Licenses[0].Key, withoutLicenses.Text);
        Assert.Empty(Types(askedForIssuances));
        Assert.Equal(200, askedForIssuances.Status);
        Assert.DoesNotContain("secret-host", withoutLicenses.Text);
        Assert.Equal(["product.created", "license.issued", "license.issued", "machine.activated"], Types(withLicenses));
    }

    [Fact]
    public async Task subscribing_to_license_events_needs_licenses_read()
    {
        var owner = await AClient();
        var webhooksOnly = await AKeyFor(owner.AccountId, Scopes.WebhooksWrite);
        var webhooksAndLicenses = await AKeyFor(owner.AccountId, Scopes.WebhooksWrite, Scopes.LicensesRead);

        var refused = await Post("/api/v1/webhook-endpoints", webhooksOnly, new { url = "https://example.com/hooks", events = new[] { "product.created", "license.issued" } });
        var machines = await Post("/api/v1/webhook-endpoints", webhooksOnly, new { url = "https://example.com/hooks", events = new[] { "machine.activated" } });
        Assert.Equal(403, machines.Status);
        var products = await Post("/api/v1/webhook-endpoints", webhooksOnly, new { url = "https://example.com/hooks", events = new[] { "product.created" } });
        var licenses = await Post("/api/v1/webhook-endpoints", webhooksAndLicenses, new { url = "https://example.com/hooks", events = new[] { "license.revoked" } });

        Assert.Equal(403, refused.Status);
        Assert.Contains("'licenses:read'", refused.Detail);
        Assert.Equal([201, 201], new[] { products.Status, licenses.Status });
        Assert.Equal(2, (await Get("/api/v1/webhook-endpoints", webhooksOnly)).Data.GetArrayLength());
    }
}
