using Catalog.Licenses;
using Catalog.Usage;

namespace Catalog.Tests.Usage;

/// <summary>Metered licenses: use counted by the software and by the vendor, exactly, once per Idempotency-Key, billed from events.</summary>
public class MeteringUsage(AppFixture fixture) : ApiTest(fixture)
{
    private static string Increment(int increment) => JsonSerializer.Serialize(new { increment });

    [Fact]
    public async Task sixty_concurrent_increments_against_twenty_five_count_exactly_twenty_five()
    {
        var (vendor, product) = await AProductWithEntitlements();
        var policy = await APolicy(vendor, product.Id, new { name = "Pay per export", maxUses = 25 });
        var license = await IssueLicense(vendor, product.Id, new { policyId = policy.Id });

        var answers = await Task.WhenAll(Enumerable.Range(0, 60).Select(i => i % 2 == 0
            ? AsLicense("POST", "/api/v1/client/usage", license.Key, Increment(1))
            : Send("POST", $"/api/v1/licenses/{license.Id}/usage", vendor, Increment(1))));

        Assert.Equal(25, answers.Count(x => x.Status == 200));
        Assert.All(answers.Where(x => x.Status != 200), x => Assert.Equal((409, UsageRules.UsageLimitReached), (x.Status, x.Code)));
        Assert.Equal(Enumerable.Range(1, 25), answers.Where(x => x.Status == 200).Select(x => x.As<UsageDetails>().Uses).Order());
        Assert.Equal((25, 25), ((await Get($"/api/v1/licenses/{license.Id}", vendor)).As<LicenseDetails>() is var l ? (l.Uses, l.MaxUses!.Value) : default));
        // The log holds each increment with its running total: what a vendor bills from.
        var counted = await EventsOfType(vendor, "license.usage.incremented");
        Assert.Equal(25, counted.Count);
        Assert.Equal(Enumerable.Range(1, 25), counted.Select(x => x.Data.GetProperty("uses").GetInt32()));
        Assert.All(counted, x => Assert.Equal(1, x.Data.GetProperty("increment").GetInt32()));
    }

    [Fact]
    public async Task an_increment_that_would_pass_the_limit_counts_nothing_and_a_reset_starts_again()
    {
        var (vendor, license) = await ALicense(new { maxUses = 10 });

        Assert.Equal(7, (await Read<UsageDetails>("POST", $"/api/v1/licenses/{license.Id}/usage", vendor, new { increment = 7 })).Uses);
        var over = await Post($"/api/v1/licenses/{license.Id}/usage", vendor, new { increment = 4 });
        Assert.Equal((409, UsageRules.UsageLimitReached), (over.Status, over.Code));
        Assert.Equal(new UsageDetails(10, 10), await Read<UsageDetails>("POST", $"/api/v1/licenses/{license.Id}/usage", vendor, new { increment = 3 }));

        Assert.Equal(new UsageDetails(0, 10), await Read<UsageDetails>("POST", $"/api/v1/licenses/{license.Id}/usage/reset", vendor, new { }));
        var reset = Assert.Single(await EventsOfType(vendor, "license.usage.reset"));
        Assert.Equal(10, reset.Data.GetProperty("previousUses").GetInt32());
        Assert.Equal(1, (await AsLicense("POST", "/api/v1/client/usage", license.Key, Increment(1))).As<UsageDetails>().Uses);
    }

    [Fact]
    public async Task a_retried_increment_with_its_idempotency_key_counts_once()
    {
        var (vendor, license) = await ALicense(new { });
        Action<Microsoft.AspNetCore.Http.HttpRequest> Keyed(string key) => request => request.Headers["Idempotency-Key"] = key;

        var first = await Send("POST", $"/api/v1/licenses/{license.Id}/usage", vendor, Increment(5), configure: Keyed("export-1"));
        var retry = await Send("POST", $"/api/v1/licenses/{license.Id}/usage", vendor, Increment(5), configure: Keyed("export-1"));
        var client = await Send("POST", "/api/v1/client/usage", null, Increment(2),
            configure: request => { request.Headers.Authorization = "License " + license.Key; request.Headers["Idempotency-Key"] = "export-2"; });
        var clientRetry = await Send("POST", "/api/v1/client/usage", null, Increment(2),
            configure: request => { request.Headers.Authorization = "License " + license.Key; request.Headers["Idempotency-Key"] = "export-2"; });

        Assert.True(retry.Status == 200, retry.ToString());
        Assert.True(clientRetry.Status == 200, clientRetry.ToString());
        Assert.Equal((200, 200), (first.Status, client.Status));
        Assert.Equal("true", retry.Headers["Idempotent-Replayed"].ToString());
        Assert.Equal("true", clientRetry.Headers["Idempotent-Replayed"].ToString());
        Assert.Equal(7, (await Get($"/api/v1/licenses/{license.Id}", vendor)).As<LicenseDetails>().Uses);
    }

    [Theory]
    [InlineData("""{}""")]
    [InlineData("""{"increment": 0}""")]
    [InlineData("""{"increment": 1000001}""")]
    [InlineData("""{"increment": "1"}""")]
    [InlineData("""{"increment": 1.5}""")]
    public async Task an_increment_out_of_range_is_a_400_naming_it(string body)
    {
        var (vendor, license) = await ALicense(new { });

        var refused = await Send("POST", $"/api/v1/licenses/{license.Id}/usage", vendor, body);
        var fromClient = await AsLicense("POST", "/api/v1/client/usage", license.Key, body);

        Assert.Equal((400, "increment"), (refused.Status, string.Join(",", refused.ErrorFields)));
        Assert.Equal((400, "increment"), (fromClient.Status, string.Join(",", fromClient.ErrorFields)));
        Assert.Equal(0, (await Get($"/api/v1/licenses/{license.Id}", vendor)).As<LicenseDetails>().Uses);
    }

    [Fact]
    public async Task only_its_own_license_its_own_product_and_a_write_scope_can_count()
    {
        var (vendor, license) = await ALicense(new { });
        var other = await ALicense(new { });
        var reader = await AKeyFor(vendor.AccountId, Scopes.LicensesRead);
        var product = (await Get($"/api/v1/products/{license.ProductId}", vendor)).As<Catalog.Products.ProductDetails>();

        // Another account's license is not found; a read-only key may not count; no key is a 401.
        Assert.Equal(404, (await Post($"/api/v1/licenses/{license.Id}/usage", other.Vendor, new { increment = 1 })).Status);
        Assert.Equal(403, (await Post($"/api/v1/licenses/{license.Id}/usage", reader, new { increment = 1 })).Status);
        Assert.Equal(403, (await Post($"/api/v1/licenses/{license.Id}/usage/reset", reader, new { })).Status);
        Assert.Equal(401, (await Send("POST", "/api/v1/client/usage", null, Increment(1))).Status);
        // A license key counts on its own license only, and only for its own product's software.
        Assert.Equal(200, (await AsLicense("POST", "/api/v1/client/usage", other.License.Key, Increment(1))).Status);
        var mismatch = await AsLicense("POST", "/api/v1/client/usage", license.Key, """{"increment": 1, "product": "another-app"}""");
        Assert.Equal((403, "PRODUCT_MISMATCH"), (mismatch.Status, mismatch.Code));
        Assert.Equal(200, (await AsLicense("POST", "/api/v1/client/usage", license.Key, JsonSerializer.Serialize(new { increment = 1, product = product.Code }))).Status);
        // A suspended license counts nothing from the software.
        Assert.Equal(200, (await Post($"/api/v1/licenses/{license.Id}/suspend", vendor, new { })).Status);
        var suspended = await AsLicense("POST", "/api/v1/client/usage", license.Key, Increment(1));
        Assert.Equal((403, "SUSPENDED"), (suspended.Status, suspended.Code));
        Assert.Equal(1, (await Get($"/api/v1/licenses/{license.Id}", vendor)).As<LicenseDetails>().Uses);
        Assert.Equal(1, (await Get($"/api/v1/licenses/{other.License.Id}", other.Vendor)).As<LicenseDetails>().Uses);
    }
}
