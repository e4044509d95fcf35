using Catalog.Licenses;
using Catalog.Products;
using Catalog.Tests.Products;
using Marten;

namespace Catalog.Tests.Licenses;

public class IssuingLicenses(AppFixture fixture) : ApiTest(fixture)
{
    private static readonly System.Text.RegularExpressions.Regex KeyFormat =
        new("^DSK(-[A-HJ-NP-Z2-9]{4}){4}$");

    [Fact]
    public async Task a_license_has_the_contracts_shape_and_a_key_in_the_products_format()
    {
        var client = await AClient();
        var product = await CreateProduct(client, new { name = "Desktop", code = "desktop", keyPrefix = "DSK" });
        var productId = product.Id;

        var response = await Post($"/api/v1/products/{productId}/licenses", client, new { metadata = new { seat = "alice" } });

        Assert.Equal(201, response.Status);
        var license = response.Data;
        Assert.Equal(["id", "productId", "key", "status", "expiresAt", "revokedAt", "createdAt", "updatedAt", "metadata", "maxMachines", "machinesCount",
                "policyId", "entitlements", "uses", "maxUses", "leasesCount", "maxConcurrent"],
            license.EnumerateObject().Select(x => x.Name));
        var issued = response.As<LicenseDetails>();
        Assert.Equal($"/api/v1/licenses/{issued.Id}", response.Headers.Location.ToString());
        Assert.Equal(7, issued.Id.Version);
        // The ids as the wire writes them: lower-case, hyphenated.
        Assert.Equal(productId.ToString(), license.GetProperty("productId").GetString());
        Assert.Equal(issued.Id.ToString(), license.GetProperty("id").GetString());
        Assert.Matches(KeyFormat, issued.Key);
        Assert.Equal("active", issued.Status);
        // Present and null, not left out.
        Assert.Equal(JsonValueKind.Null, license.GetProperty("expiresAt").ValueKind);
        Assert.Equal(JsonValueKind.Null, license.GetProperty("revokedAt").ValueKind);
        Assert.Matches(CreatingProducts.Timestamp, license.GetProperty("createdAt").GetString());
        Assert.Equal("""{"seat":"alice"}""", license.GetProperty("metadata").GetRawText());

        Assert.Equal(response.Text, (await Get($"/api/v1/licenses/{issued.Id}", client)).Text);
        Assert.Equal(1, await LicensesCount(client, productId));
    }

    [Fact]
    public async Task keys_use_only_the_unambiguous_alphabet_and_never_repeat()
    {
        var client = await AClient();
        var productId = (await CreateProduct(client, new { name = "Desktop", code = "desktop", keyPrefix = "DSK" })).Id;

        var keys = new List<string>();
        for (var i = 0; i < 40; i++) keys.Add((await IssueLicense(client, productId)).Key);

        Assert.All(keys, key => Assert.Matches(KeyFormat, key));
        Assert.All(keys, key => Assert.DoesNotContain(key[4..], c => c is '0' or 'O' or '1' or 'I'));
        Assert.Equal(keys.Count, keys.Distinct().Count());
    }

    [Fact]
    public async Task a_key_keeps_the_prefix_it_was_issued_with()
    {
        var client = await AClient();
        var productId = (await CreateProduct(client, new { name = "Desktop", code = "desktop", keyPrefix = "DSK" })).Id;
        var before = await IssueLicense(client, productId);

        await Patch($"/api/v1/products/{productId}", client, new { keyPrefix = "NEWAPP" });
        var after = await IssueLicense(client, productId);

        Assert.StartsWith("DSK-", (await Get($"/api/v1/licenses/{before.Id}", client)).As<LicenseDetails>().Key);
        Assert.StartsWith("NEWAPP-", after.Key);
    }

    [Fact]
    public async Task the_body_is_optional_and_expiry_is_kept_to_the_millisecond()
    {
        var client = await AClient();
        var productId = (await CreateProduct(client)).Id;

        var noBody = await Send("POST", $"/api/v1/products/{productId}/licenses", client);
        // Issued by hand: the expiry is checked as the wire writes it (UTC, milliseconds, Z).
        var expiring = await Post($"/api/v1/products/{productId}/licenses", client, new { expiresAt = "2099-12-31T23:59:59.123456+02:00" });

        Assert.Equal(201, noBody.Status);
        Assert.Equal(201, expiring.Status);
        Assert.Equal("2099-12-31T21:59:59.123Z", expiring.Data.GetProperty("expiresAt").GetString());
        Assert.Equal("active", expiring.As<LicenseDetails>().Status);
    }

    public static TheoryData<string, string> BadBodies => new()
    {
        { """{"expiresAt":"tomorrow"}""", "expiresAt" },
        { """{"expiresAt":"2099-01-01T00:00:00"}""", "expiresAt" }, // no time zone
        { """{"expiresAt":"2020-01-01T00:00:00Z"}""", "expiresAt" }, // in the past
        { """{"expiresAt":12345}""", "expiresAt" },
        { """{"metadata":{"k":{"nested":true}}}""", "metadata.k" },
        { "{\"metadata\":" + JsonSerializer.Serialize(Enumerable.Range(0, 65).ToDictionary(i => $"k{i}", i => i)) + "}", "metadata" },
        { """{"key":"DSK-AAAA-BBBB-CCCC-DDDD"}""", "key" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task bad_input_is_400_naming_the_field_and_issues_nothing(string body, string field)
    {
        var client = await AClient();
        var productId = (await CreateProduct(client)).Id;

        var response = await Send("POST", $"/api/v1/products/{productId}/licenses", client, body);

        Assert.Equal(400, response.Status);
        Assert.Contains(field, response.ErrorFields);
        Assert.Equal(0, await LicensesCount(client, productId));
        Assert.Equal(0, (await Get("/api/v1/licenses", client)).Data.GetArrayLength());
    }

    [Fact]
    public async Task an_unknown_product_or_another_accounts_product_is_404()
    {
        var client = await AClient();
        var other = await AClient();
        var theirs = (await CreateProduct(other)).Id;

        var unknown = await Post($"/api/v1/products/{Guid.CreateVersion7()}/licenses", client, new { });
        var foreign = await Post($"/api/v1/products/{theirs}/licenses", client, new { });

        Assert.Equal(404, unknown.Status);
        Assert.Equal(404, foreign.Status);
        Assert.Equal(0, await LicensesCount(other, theirs));
    }

    [Fact]
    public async Task a_deleted_product_takes_no_new_licenses()
    {
        var client = await AClient();
        var productId = (await CreateProduct(client)).Id;
        await IssueLicense(client, productId);
        await Delete($"/api/v1/products/{productId}", client);

        var response = await Post($"/api/v1/products/{productId}/licenses", client, new { });

        Assert.Equal(409, response.Status);
        Assert.Contains("deleted", response.Detail);
        Assert.Equal(1, await LicensesCount(client, productId));
    }

    [Fact]
    public async Task fifty_concurrent_issuances_all_succeed_and_the_count_is_exact_even_after_a_rebuild()
    {
        var client = await AClient();
        var productId = (await CreateProduct(client, new { name = "Hot", code = "hot", keyPrefix = "HOT" })).Id;

        var responses = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ =>
            Post($"/api/v1/products/{productId}/licenses", client, new { })));

        Assert.All(responses, r => Assert.True(r.Status == 201, r.ToString()));
        Assert.Equal(50, responses.Select(r => r.As<LicenseDetails>().Key).Distinct().Count());
        Assert.Equal(50, await LicensesCount(client, productId));

        await using (var session = Store.QuerySession(client.AccountId.ToString()))
        {
            var events = await session.Events.FetchStreamAsync(productId);
            Assert.Equal(50, events.Count(x => x.Data is LicenseIssued));
            Assert.Equal(Enumerable.Range(1, 51).Select(x => (long)x), events.Select(x => x.Version));
        }

        // Wipe the read models, then rebuild them from the events with the operators' command.
        await using (var wipe = Store.LightweightSession(client.AccountId.ToString()))
        {
            wipe.DeleteWhere<License>(x => x.ProductId == productId);
            await wipe.SaveChangesAsync();
        }
        var rebuild = await CommandLineRunner.Run("projections", "rebuild");
        Assert.True(rebuild.ExitCode == 0, rebuild.Output + rebuild.Error);

        Assert.Equal(50, await LicensesCount(client, productId));
        Assert.Equal(50, (await Get($"/api/v1/licenses?productId={productId}&limit=100", client)).Data.GetArrayLength());
    }
}
