using Catalog.Products;
using Catalog.Licenses;
using Marten;

namespace Catalog.Tests.Licenses;

public class RevokingLicenses(AppFixture fixture) : ApiTest(fixture)
{
    [Fact]
    public async Task revoking_is_200_idempotent_and_lowers_the_count_once()
    {
        var client = await AClient();
        var productId = (await CreateProduct(client)).Id;
        var license = await IssueLicense(client, productId);
        await IssueLicense(client, productId);
        var url = $"/api/v1/licenses/{license.Id}/revoke";

        var first = await Send("POST", url, client);
        var second = await Send("POST", url, client);

        Assert.Equal(200, first.Status);
        Assert.Equal("revoked", first.As<LicenseDetails>().Status);
        // The timestamp as the wire writes it.
        Assert.Matches(Products.CreatingProducts.Timestamp, first.Data.GetProperty("revokedAt").GetString());
        Assert.Equal(200, second.Status);
        Assert.Equal(first.Text, second.Text);
        Assert.Equal(1, await LicensesCount(client, productId));

        await using var session = Store.QuerySession(client.AccountId.ToString());
        var events = await session.Events.FetchStreamAsync(productId);
        Assert.Single(events, x => x.Data is LicenseRevoked);
    }

    [Fact]
    public async Task concurrent_revokes_of_one_license_lower_the_count_once()
    {
        var client = await AClient();
        var product = await AProductWithLicenses(client, 3);

        var responses = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ =>
            Send("POST", $"/api/v1/licenses/{product.Licenses[0].Id}/revoke", client)));

        Assert.All(responses, r => Assert.Equal(200, r.Status));
        Assert.Equal(2, (await Read<ProductDetails>("GET", $"/api/v1/products/{product.Id}", client)).LicensesCount);
    }

    [Fact]
    public async Task an_unknown_or_foreign_license_is_404()
    {
        var client = await AClient();
        var other = await AClient();
        var theirs = await IssueLicense(other, (await CreateProduct(other)).Id);

        var unknown = await Send("POST", $"/api/v1/licenses/{Guid.CreateVersion7()}/revoke", client);
        var foreign = await Send("POST", $"/api/v1/licenses/{theirs.Id}/revoke", client);
        var foreignGet = await Get($"/api/v1/licenses/{theirs.Id}", client);

        Assert.Equal([404, 404, 404], new[] { unknown.Status, foreign.Status, foreignGet.Status });
        Assert.Equal("active", (await Get($"/api/v1/licenses/{theirs.Id}", other)).As<LicenseDetails>().Status);
    }

    [Fact]
    public async Task licenses_need_their_own_scopes()
    {
        var owner = await AClient();
        var productId = (await CreateProduct(owner)).Id;
        var license = await IssueLicense(owner, productId);
        var productsOnly = await AKeyFor(owner.AccountId, Scopes.ProductsRead, Scopes.ProductsWrite, Scopes.LicensesRead);
        var writeOnly = await AKeyFor(owner.AccountId, Scopes.LicensesWrite);

        var issue = await Post($"/api/v1/products/{productId}/licenses", productsOnly, new { });
        var revoke = await Send("POST", $"/api/v1/licenses/{license.Id}/revoke", productsOnly);
        var list = await Get("/api/v1/licenses", writeOnly);
        var get = await Get($"/api/v1/licenses/{license.Id}", writeOnly);
        var validate = await Post("/api/v1/licenses/validate", writeOnly, new { key = license.Key });

        Assert.All(new[] { issue, revoke }, r => { Assert.Equal(403, r.Status); Assert.Contains(Scopes.LicensesWrite, r.Detail); });
        Assert.All(new[] { list, get, validate }, r => { Assert.Equal(403, r.Status); Assert.Contains(Scopes.LicensesRead, r.Detail); });
        Assert.Equal(1, await LicensesCount(owner, productId));
    }
}
