using Wolverine.Http;
using Catalog.Conventions;
using Catalog.Entitlements;
using Catalog.EventLog;

namespace Catalog.Tests.Entitlements;

public class ManagingEntitlements(AppFixture fixture) : ApiTest(fixture)
{
    private async Task<EntitlementDetails> AnEntitlement(Client client, string code, string name = "Export to PDF")
    {
        var created = await Post("/api/v1/entitlements", client, new { code, name });
        Assert.True(created.Status == 201, created.ToString());
        return created.As<EntitlementDetails>();
    }

    [Fact]
    public async Task an_entitlement_is_created_read_and_listed()
    {
        var client = await AClient();

        var created = await Post("/api/v1/entitlements", client, new { code = "export-pdf", name = "Export to PDF", metadata = new { tier = "pro" } });

        Assert.Equal(201, created.Status);
        var entitlement = created.As<EntitlementDetails>();
        Assert.Equal(("export-pdf", "Export to PDF"), (entitlement.Code, entitlement.Name));
        Assert.Equal("pro", entitlement.Metadata["tier"].GetString());
        Assert.Equal(entitlement.CreatedAt, entitlement.UpdatedAt);
        Assert.Equal($"/api/v1/entitlements/{entitlement.Id}", created.Headers.Location.ToString());
        Assert.Equal(created.Text, (await Get($"/api/v1/entitlements/{entitlement.Id}", client)).Text);
        var listed = (await Get("/api/v1/entitlements", client)).As<List<EntitlementDetails>>();
        Assert.Equal([entitlement.Id], listed.Select(x => x.Id));
    }

    [Fact]
    public async Task codes_are_unique_in_the_account_ignoring_case_and_free_in_another()
    {
        var client = await AClient();
        await AnEntitlement(client, "export-pdf");

        var taken = await Post("/api/v1/entitlements", client, new { code = "Export-PDF", name = "Again" });
        var elsewhere = await Post("/api/v1/entitlements", await AClient(), new { code = "export-pdf", name = "Theirs" });

        Assert.Equal(409, taken.Status);
        Assert.Contains("Export-PDF", taken.Detail);
        Assert.Equal(201, elsewhere.Status);
    }

    [Theory]
    [InlineData("""{"name": "No code"}""", "code")]
    [InlineData("""{"code": "has space", "name": "N"}""", "code")]
    [InlineData("""{"code": "x/y", "name": "N"}""", "code")]
    [InlineData("""{"code": "export-pdf\n", "name": "N"}""", "code")]
    [InlineData("""{"code": "exp\u0000ort", "name": "N"}""", "code")]
    [InlineData("""{"code": "123456789012345678901234567890123456789012345678901", "name": "N"}""", "code")]
    [InlineData("""{"code": "ok"}""", "name")]
    [InlineData("""{"code": "ok", "name": "  "}""", "name")]
    [InlineData("""{"code": "ok", "name": "N", "metadata": {"a": [1]}}""", "metadata.a")]
    [InlineData("""{"code": "ok", "name": "N", "grants": 1}""", "grants")]
    public async Task a_bad_entitlement_is_400_naming_the_field_and_stores_nothing(string body, string field)
    {
        var client = await AClient();

        var response = await Send("POST", "/api/v1/entitlements", client, body);

        Assert.Equal(400, response.Status);
        Assert.Equal([field], response.ErrorFields);
        Assert.Empty((await Get("/api/v1/entitlements", client)).As<List<EntitlementDetails>>());
    }

    [Fact]
    public async Task codes_take_dots_underscores_and_dashes()
    {
        var entitlement = await AnEntitlement(await AClient(), "reports.export_v2-beta");

        Assert.Equal("reports.export_v2-beta", entitlement.Code);
    }

    [Fact]
    public async Task a_patch_changes_name_and_metadata_and_the_code_only_unchanged()
    {
        var client = await AClient();
        var entitlement = await AnEntitlement(client, "export-pdf");
        var url = $"/api/v1/entitlements/{entitlement.Id}";
        await Task.Delay(5); // a later millisecond

        var changed = await Patch(url, client, new { name = "PDF export", metadata = new { a = 1 }, code = "export-pdf" });
        var recoded = await Patch(url, client, new { code = "export-csv" });

        Assert.Equal(200, changed.Status);
        var updated = changed.As<EntitlementDetails>();
        Assert.Equal(("PDF export", "export-pdf", entitlement.CreatedAt), (updated.Name, updated.Code, updated.CreatedAt));
        Assert.True(updated.UpdatedAt > entitlement.UpdatedAt);
        Assert.Equal(1, updated.Metadata["a"].GetInt32());
        Assert.Equal(400, recoded.Status);
        Assert.Equal(["code"], recoded.ErrorFields);
        Assert.Equal(changed.Text, (await Get(url, client)).Text);
    }

    [Fact]
    public async Task a_deleted_entitlement_is_gone_and_its_code_is_free_again()
    {
        var client = await AClient();
        var entitlement = await AnEntitlement(client, "export-pdf");
        var url = $"/api/v1/entitlements/{entitlement.Id}";

        var deleted = await Delete(url, client);

        Assert.Equal(204, deleted.Status);
        Assert.Equal(404, (await Get(url, client)).Status);
        Assert.Equal(404, (await Delete(url, client)).Status);
        Assert.Equal(404, (await Patch(url, client, new { name = "Back" })).Status);
        Assert.Empty((await Get("/api/v1/entitlements", client)).As<List<EntitlementDetails>>());
        Assert.NotEqual(entitlement.Id, (await AnEntitlement(client, "EXPORT-pdf")).Id);
    }

    [Fact]
    public async Task another_accounts_entitlement_is_not_there()
    {
        var owner = await AClient();
        var entitlement = await AnEntitlement(owner, "export-pdf");
        var other = await AClient();
        var url = $"/api/v1/entitlements/{entitlement.Id}";

        Assert.Equal(404, (await Get(url, other)).Status);
        Assert.Equal(404, (await Patch(url, other, new { name = "Mine" })).Status);
        Assert.Equal(404, (await Delete(url, other)).Status);
        Assert.Empty((await Get("/api/v1/entitlements", other)).As<List<EntitlementDetails>>());
        Assert.Equal("Export to PDF", (await Get(url, owner)).As<EntitlementDetails>().Name);
    }

    [Fact]
    public async Task reading_takes_products_read_and_changing_takes_products_write()
    {
        var owner = await AClient();
        var entitlement = await AnEntitlement(owner, "export-pdf");
        var reader = await AKeyFor(owner.AccountId, Catalog.Accounts.Scopes.ProductsRead);
        var licensesOnly = await AKeyFor(owner.AccountId, Catalog.Accounts.Scopes.LicensesWrite);
        var url = $"/api/v1/entitlements/{entitlement.Id}";

        Assert.Equal(200, (await Get(url, reader)).Status);
        Assert.Equal(200, (await Get("/api/v1/entitlements", reader)).Status);
        Assert.Equal(403, (await Post("/api/v1/entitlements", reader, new { code = "more", name = "More" })).Status);
        Assert.Equal(403, (await Patch(url, reader, new { name = "Mine" })).Status);
        Assert.Equal(403, (await Delete(url, reader)).Status);
        Assert.Equal(403, (await Get(url, licensesOnly)).Status);
        Assert.Equal(401, (await Get(url, null)).Status);
        Assert.Equal("Export to PDF", (await Get(url, owner)).As<EntitlementDetails>().Name);
    }

    [Fact]
    public async Task creating_changing_and_deleting_are_events_in_the_log()
    {
        var client = await AClient();
        var entitlement = await AnEntitlement(client, "export-pdf");
        await Patch($"/api/v1/entitlements/{entitlement.Id}", client, new { name = "PDF" });
        await Delete($"/api/v1/entitlements/{entitlement.Id}", client);

        var log = (await Get("/api/v1/events", client)).As<List<EventLogEntry>>();

        Assert.Equal([PublicEvents.EntitlementCreatedName, PublicEvents.EntitlementUpdatedName, PublicEvents.EntitlementDeletedName],
            log.Select(x => x.Type));
        Assert.All(log, x => Assert.Equal(entitlement.Id, x.StreamId));
        Assert.Equal("export-pdf", log[2].Data.GetProperty("code").GetString());
    }
}

public class when_changing_an_entitlement
{
    private static readonly Entitlement ExportPdf = Entitlement.Create(new EntitlementCreated(Guid.CreateVersion7(), "export-pdf", "Export to PDF",
        new() { ["tier"] = JsonSerializer.SerializeToElement("pro") }, Given.Now.AddDays(-3)));

    [Fact]
    public void a_patch_that_changes_nothing_appends_nothing()
    {
        var (shown, events) = UpdateEntitlementEndpoint.Patch(
            new UpdateEntitlement(new(true, "Export to PDF"), new(true, "export-pdf"), default), ExportPdf, Given.Clock);

        Assert.Empty(events);
        Assert.Equal(ExportPdf.UpdatedAt, shown.Data.UpdatedAt);
    }

    [Fact]
    public void a_new_name_is_an_event_with_the_full_values()
    {
        var (shown, events) = UpdateEntitlementEndpoint.Patch(new UpdateEntitlement(new(true, "PDF"), default, default), ExportPdf, Given.Clock);

        var updated = Assert.IsType<EntitlementUpdated>(Assert.Single(events));
        Assert.Equal(("PDF", ExportPdf.Metadata, Given.Now), (updated.Name, updated.Metadata, updated.UpdatedAt));
        Assert.Equal("PDF", shown.Data.Name);
    }

    [Fact]
    public void the_code_cannot_change_but_may_be_sent_as_it_is()
    {
        Assert.Equal(400, UpdateEntitlementEndpoint.Validate(new UpdateEntitlement(default, new(true, "export-csv"), default), ExportPdf).Status);
        Assert.Same(WolverineContinue.NoProblems, UpdateEntitlementEndpoint.Validate(new UpdateEntitlement(default, new(true, "export-pdf"), default), ExportPdf));
    }
}
