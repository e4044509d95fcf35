using Catalog.Licenses;
using Marten;
namespace Catalog.Tests.Licenses;

public class ListingLicenses(AppFixture fixture) : ApiTest(fixture)
{
    [Fact]
    public async Task licenses_list_newest_first_by_product_and_status_in_pages()
    {
        var client = await AClient();
        var withThree = await AProductWithLicenses(client, 3);
        var withOne = await AProductWithLicenses(client, 1);
        var first = withThree.Id;
        var ids = withThree.Licenses.Select(x => x.Id).ToList();
        var other = withOne.Licenses[0].Id;
        await Send("POST", $"/api/v1/licenses/{ids[0]}/revoke", client);

        var all = await Get("/api/v1/licenses", client);
        var ofFirst = await Get($"/api/v1/licenses?productId={first}", client);
        var revoked = await Get("/api/v1/licenses?status=revoked", client);
        var activeOfFirst = await Get($"/api/v1/licenses?productId={first}&status=active", client);
        var page1 = await Get("/api/v1/licenses?limit=3", client);
        var page2 = await Get($"/api/v1/licenses?limit=3&cursor={page1.AsPage<LicenseDetails>().Pagination.NextCursor}", client);

        static IEnumerable<Guid> Ids(ApiResponse r) => r.As<List<LicenseDetails>>().Select(x => x.Id);
        Assert.Equal([other, ids[2], ids[1], ids[0]], Ids(all));
        Assert.Equal([ids[2], ids[1], ids[0]], Ids(ofFirst));
        Assert.Equal([ids[0]], Ids(revoked));
        Assert.Equal([ids[2], ids[1]], Ids(activeOfFirst));
        Assert.Equal([other, ids[2], ids[1]], Ids(page1));
        Assert.True(page1.AsPage<LicenseDetails>().Pagination.HasMore);
        Assert.Equal([ids[0]], Ids(page2));
        // The last page's pagination as the wire writes it: a null cursor, present.
        Assert.Equal("""{"nextCursor":null,"hasMore":false}""", page2.Json.GetProperty("pagination").GetRawText());
    }

    [Fact]
    public async Task another_accounts_product_lists_nothing_and_reads_none_of_its_licenses()
    {
        var vendor = await AClient();
        var theirs = await AProductWithLicenses(vendor, 3);
        var stranger = await AClient();

        var listed = await Get($"/api/v1/licenses?productId={theirs.Id}", stranger);

        Assert.Equal(200, listed.Status);
        Assert.Equal(0, listed.Data.GetArrayLength());
        // The product check runs first and once: the licenses are never read, however many the product has (the plan
        // read on the single database's tables).
        if (StorageMode.Sharded) return;
        await using var session = Store.QuerySession(stranger.AccountId.ToString());
        var plan = await PlanOf(Catalog.Licenses.ListLicensesEndpoint.Page(session, theirs.Id, null, null, DateTimeOffset.UtcNow, 26), analyze: true);
        Assert.Contains(plan, x => x.Contains("One-Time Filter"));
        Assert.Contains(plan, x => x.Contains("on mt_doc_license") && x.Contains("never executed"));
        Assert.Equal(3, (await Get($"/api/v1/licenses?productId={theirs.Id}", vendor)).Data.GetArrayLength());
    }

    [Fact]
    public async Task a_support_desk_finds_a_license_by_its_key_in_its_own_account_only()
    {
        var vendor = await AClient();
        var product = await AProductWithLicenses(vendor, 3);
        var wanted = product.Licenses[1];
        var stranger = await AClient();

        var found = await Get($"/api/v1/licenses?key={wanted.Key}", vendor);
        Assert.Equal([wanted.Id], found.As<List<LicenseDetails>>().Select(x => x.Id));
        Assert.Equal([wanted.Id], (await Get($"/api/v1/licenses?key={wanted.Key}&productId={product.Id}&status=active", vendor)).As<List<LicenseDetails>>().Select(x => x.Id));
        Assert.Equal(0, (await Get($"/api/v1/licenses?key={wanted.Key}&status=revoked", vendor)).Data.GetArrayLength());
        // Another account's key is simply not there.
        Assert.Equal(0, (await Get($"/api/v1/licenses?key={wanted.Key}", stranger)).Data.GetArrayLength());
        foreach (var bad in new[] { "", "not-a-key", wanted.Key.ToLowerInvariant() })
            Assert.Contains("key", (await Get($"/api/v1/licenses?key={bad}", vendor)).ErrorFields);

        // One entry of the key's unique index, whatever the account holds (the plan read on the single database's tables).
        // An account of a few licenses may as well be read whole (the planner's choice, by cost): the promise is for an
        // account that holds many, as the statistics know it.
        if (StorageMode.Sharded) return;
        await AProductWithLicenses(vendor, 150);
        await AnalyzeLicenses();
        await using var session = Store.QuerySession(vendor.AccountId.ToString());
        var plan = await PlanOf(Catalog.Licenses.ListLicensesEndpoint.Page(session, null, null, null, DateTimeOffset.UtcNow, 26, wanted.Key));
        Assert.Contains(plan, x => x.Contains(Catalog.Licenses.LicensesConfiguration.KeyIndex));
    }

    [Fact]
    public async Task each_status_filter_lists_exactly_the_licenses_in_that_status()
    {
        var client = await AClient();
        var product = (await CreateProduct(client)).Id;
        var active = (await IssueLicense(client, product)).Id;
        var expired = (await IssueLicense(client, product, new { expiresAt = DateTimeOffset.UtcNow.AddSeconds(1) })).Id;
        var revoked = (await IssueLicense(client, product)).Id;
        var suspended = (await IssueLicense(client, product)).Id;
        // Suspended and expired: suspension comes first, as the license's own status says.
        var suspendedAndExpired = (await IssueLicense(client, product, new { expiresAt = DateTimeOffset.UtcNow.AddSeconds(1) })).Id;
        var revokedWhileSuspended = (await IssueLicense(client, product)).Id;
        foreach (var id in new[] { suspended, suspendedAndExpired, revokedWhileSuspended })
            Assert.Equal(200, (await Post($"/api/v1/licenses/{id}/suspend", client, new { })).Status);
        foreach (var id in new[] { revoked, revokedWhileSuspended })
            Assert.Equal(200, (await Post($"/api/v1/licenses/{id}/revoke", client, new { })).Status);
        await Task.Delay(TimeSpan.FromSeconds(1.2));

        async Task<Guid[]> Listed(string query)
        {
            var response = await Get($"/api/v1/licenses?productId={product}&" + query, client);
            Assert.True(response.Status == 200, response.ToString());
            var listed = response.As<List<LicenseDetails>>();
            var ids = listed.Select(x => x.Id).Order().ToArray();
            // Every license listed is in the status asked for, as its own answer says.
            foreach (var license in listed)
                Assert.Equal(query["status=".Length..], license.Status);
            return ids;
        }

        Assert.Equal(new[] { active }, await Listed("status=active"));
        Assert.Equal(new[] { expired }, await Listed("status=expired"));
        Assert.Equal(new[] { suspended, suspendedAndExpired }.Order(), await Listed("status=suspended"));
        Assert.Equal(new[] { revoked, revokedWhileSuspended }.Order(), await Listed("status=revoked"));
        Assert.Equal(6, (await Get($"/api/v1/licenses?productId={product}", client)).Data.GetArrayLength());
    }

    [Theory]
    [InlineData("productId=", "productId")]
    [InlineData("status=", "status")]
    [InlineData("status=unknown", "status")]
    [InlineData("status=ACTIVE", "status")]
    [InlineData("productId=nope", "productId")]
    [InlineData("limit=0", "limit")]
    [InlineData("cursor=x", "cursor")]
    [InlineData("product=x", "product")]
    public async Task unknown_or_out_of_range_query_values_are_400(string query, string field)
    {
        var client = await AClient();

        var response = await Get("/api/v1/licenses?" + query, client);

        Assert.Equal(400, response.Status);
        Assert.Contains(field, response.ErrorFields);
    }

    [Fact]
    public async Task licenses_are_listed_on_the_command_line()
    {
        var client = await AClient();
        var productId = (await CreateProduct(client)).Id;
        // Issued by hand: the command line's license is compared with the API's answer as the bytes of the wire.
        var issued = await Post($"/api/v1/products/{productId}/licenses", client, new { });
        Assert.Equal(201, issued.Status);
        await IssueLicense(client, (await CreateProduct(client)).Id);

        var all = await CommandLineRunner.Run("licenses", "list", "--account", client.AccountId.ToString(), "--json");
        var ofProduct = await CommandLineRunner.Run("licenses", "list", "--account", client.AccountId.ToString(), "--product", productId.ToString(), "--json");

        Assert.Equal(0, all.ExitCode);
        Assert.Equal(2, all.LastJson.GetProperty("data").GetArrayLength());
        Assert.Equal(issued.Data.GetRawText(), Assert.Single(ofProduct.LastJson.GetProperty("data").EnumerateArray()).GetRawText());
    }

    [Fact]
    public async Task revoked_licenses_are_read_from_their_own_index_however_many_others_the_account_holds()
    {
        var vendor = await AClient();
        var small = await AProductWithLicenses(vendor, 8);
        var revoked = small.Licenses.Where((_, i) => i % 4 == 0).Select(x => x.Id).ToList();
        foreach (var id in revoked)
            Assert.Equal(200, (await Post($"/api/v1/licenses/{id}/revoke", vendor, new { })).Status);
        // Beside it, a product of many licenses none of which is revoked, newer than all of them.
        var big = await CreateProduct(vendor);
        var start = DateTimeOffset.UtcNow;
        await Store.BulkInsertDocumentsAsync(vendor.AccountId.ToString(), Enumerable.Range(0, 20_000).Select(i =>
                new License(Guid.CreateVersion7(start.AddMilliseconds(i)), big.Id, $"SEED-{big.Id:N}-{i}".ToUpperInvariant(), null, null,
                    start, start, []) { AccountId = vendor.AccountId }),
            Weasel.Core.BulkInsertMode.InsertsOnly, 10_000);

        Assert.Equal(revoked.AsEnumerable().Reverse(),
            (await Get("/api/v1/licenses?status=revoked", vendor)).As<List<LicenseDetails>>().Select(x => x.Id));
        Assert.Equal(revoked.AsEnumerable().Reverse(),
            (await Get($"/api/v1/licenses?status=revoked&productId={small.Id}", vendor)).As<List<LicenseDetails>>().Select(x => x.Id));

        // An account's revoked licenses are read from their partial index and nothing else, as planned with and without
        // the values (read on the single database's tables); the other licenses are never walked or sorted.
        if (StorageMode.Sharded) return;
        await AnalyzeLicenses();
        await using var session = Store.QuerySession(vendor.AccountId.ToString());
        foreach (var generic in new[] { false, true })
        {
            // Two rows read through the named index, nothing sorted, nothing scanned whole.
            async Task ReadsTwoRowsThrough(string index, Guid? product)
            {
                var plan = await PlanOf(ListLicensesEndpoint.Page(session, product, LicenseStatus.Revoked, null, DateTimeOffset.UtcNow, 26),
                    analyze: true, generic: generic);
                Assert.True(plan.Any(x => x.Contains($"using {index}") && x.Contains("actual rows=2 "))
                    && !plan.Any(x => x.Contains("Sort") || x.Contains("Seq Scan")), string.Join("\n", plan));
            }
            await ReadsTwoRowsThrough("mt_doc_license_idx_tenant_id_id_revoked", null);
            // A product's: its revoked licenses' index, or its own licenses' (the planner's choice for a small product).
            await ReadsTwoRowsThrough("mt_doc_license_idx_product_id_id", small.Id);
        }
    }

    /// <summary>Fresh statistics of the license table: the plans asserted are the ones its real size gets.</summary>
    private static async Task AnalyzeLicenses()
    {
        await using var database = await OpenDatabase();
        await using var analyze = new Npgsql.NpgsqlCommand("analyze catalog.mt_doc_license", database);
        await analyze.ExecuteNonQueryAsync();
    }
}
