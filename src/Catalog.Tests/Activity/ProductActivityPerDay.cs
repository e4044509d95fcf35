using Catalog.Activity;

namespace Catalog.Tests.Activity;

/// <summary>GET /api/v1/products/{id}/activity: activations and validations per UTC day, from the event store.</summary>
public class ProductActivityPerDay(AppFixture fixture) : ApiTest(fixture)
{
    private async Task<List<DayActivity>> Activity(Client client, Guid product, int days) =>
        (await Get($"/api/v1/products/{product}/activity?days={days}", client)).As<List<DayActivity>>();

    [Fact]
    public async Task a_products_activations_and_validations_are_counted_on_their_day()
    {
        var bought = await ALicenseWithSeatsTaken(3, "laptop", "desktop");
        var other = await IssueLicense(bought.Vendor, (await CreateProduct(bought.Vendor, AProduct("other-" + Guid.NewGuid().ToString("N")[..6]))).Id);
        for (var i = 0; i < 2; i++) Assert.Equal(200, (await Post("/api/v1/licenses/validate", bought.Vendor, new { key = bought.License.Key })).Status);
        Assert.Equal(200, (await AsLicense("POST", "/api/v1/client/validate", bought.License.Key, """{"fingerprint":"laptop"}""")).Status);
        // Not this product's: another product's license, and a key that is no license's.
        Assert.Equal(200, (await Post("/api/v1/licenses/validate", bought.Vendor, new { key = other.Key })).Status);
        Assert.Equal(200, (await Post("/api/v1/licenses/validate", bought.Vendor, new { key = "ZZZ-AAAA-BBBB-CCCC-DDDD" })).Status);

        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        await Eventually(async () => (await Activity(bought.Vendor, bought.License.ProductId, 3)).Last() is { Activations: 2, Validations: 3 },
            "today's two activations and three validations");
        var days = await Activity(bought.Vendor, bought.License.ProductId, 3);
        Assert.Equal([today.AddDays(-2), today.AddDays(-1), today], days.Select(x => x.Day));
        Assert.Equal([new DayActivity(today.AddDays(-2), 0, 0), new DayActivity(today.AddDays(-1), 0, 0)], days.Take(2));
        Assert.Equal(14, (await Activity(bought.Vendor, bought.License.ProductId, 14)).Count);
        Assert.Equal(14, (await Get($"/api/v1/products/{bought.License.ProductId}/activity", bought.Vendor)).Data.GetArrayLength());
        await Eventually(async () => (await Activity(bought.Vendor, other.ProductId, 1)).Single() is { Activations: 0, Validations: 1 },
            "the other product's one validation");
        Assert.Equal(["day", "activations", "validations"],
            (await Get($"/api/v1/products/{bought.License.ProductId}/activity?days=1", bought.Vendor)).Data[0].EnumerateObject().Select(x => x.Name));
    }

    [Fact]
    public async Task bad_days_are_400_another_accounts_product_is_404_and_it_needs_products_read()
    {
        var bought = await ALicenseWithSeatsTaken(1);
        var product = bought.License.ProductId;
        foreach (var days in new[] { "0", "91", "-1", "many", "" })
            Assert.Contains("days", (await Get($"/api/v1/products/{product}/activity?days={days}", bought.Vendor)).ErrorFields);
        Assert.Equal(404, (await Get($"/api/v1/products/{product}/activity", await AClient())).Status);
        Assert.Equal(404, (await Get($"/api/v1/products/{Guid.NewGuid()}/activity", bought.Vendor)).Status);
        Assert.Equal(403, (await Get($"/api/v1/products/{product}/activity", await AKeyFor(bought.Vendor.AccountId, "licenses:read"))).Status);
        Assert.Equal(401, (await Get($"/api/v1/products/{product}/activity", null)).Status);
    }
}
