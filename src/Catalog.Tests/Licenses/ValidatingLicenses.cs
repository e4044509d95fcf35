using Catalog.Licenses;
using Catalog.Products;
using Marten;

namespace Catalog.Tests.Licenses;

public class ValidatingLicenses(AppFixture fixture) : ApiTest(fixture)
{
    private Task<ApiResponse> Validate(Client client, string key) =>
        Post("/api/v1/licenses/validate", client, new { key });

    [Fact]
    public async Task an_active_license_is_VALID()
    {
        var client = await AClient();
        // Issued by hand: the verdict's license is compared with the issue's answer as the bytes of the wire.
        var issued = await Post($"/api/v1/products/{(await CreateProduct(client)).Id}/licenses", client, new { });
        Assert.Equal(201, issued.Status);
        var key = issued.As<LicenseDetails>().Key;

        var response = await Validate(client, key);

        Assert.Equal(200, response.Status);
        Assert.Equal(["valid", "code", "license"], response.Data.EnumerateObject().Select(x => x.Name));
        var verdict = response.As<LicenseValidation>();
        Assert.True(verdict.Valid);
        Assert.Equal("VALID", verdict.Code);
        Assert.Equal(issued.Data.GetRawText(), response.Data.GetProperty("license").GetRawText());
    }

    [Fact]
    public async Task keys_are_matched_without_regard_to_case_or_surrounding_spaces()
    {
        var client = await AClient();
        var key = (await IssueLicense(client, (await CreateProduct(client)).Id)).Key;

        var response = await Validate(client, "  " + key.ToLowerInvariant() + " ");

        Assert.Equal("VALID", response.As<LicenseValidation>().Code);
    }

    [Theory]
    [InlineData("LIC-AAAA-BBBB-CCCC-DDDD")]
    [InlineData("not a key at all")]
    [InlineData("' OR 1=1 --")]
    public async Task an_unknown_key_is_NOT_FOUND(string key)
    {
        var client = await AClient();

        var response = await Validate(client, key);

        Assert.Equal(200, response.Status);
        var verdict = response.As<LicenseValidation>();
        Assert.False(verdict.Valid);
        Assert.Equal("NOT_FOUND", verdict.Code);
        // Present and null, not left out.
        Assert.Equal(JsonValueKind.Null, response.Data.GetProperty("license").ValueKind);
    }

    [Fact]
    public async Task another_accounts_key_is_NOT_FOUND()
    {
        var client = await AClient();
        var other = await AClient();
        var key = (await IssueLicense(other, (await CreateProduct(other)).Id)).Key;

        var response = await Validate(client, key);

        Assert.Equal("NOT_FOUND", response.As<LicenseValidation>().Code);
    }

    [Fact]
    public async Task a_revoked_license_is_REVOKED()
    {
        var client = await AClient();
        var license = await IssueLicense(client, (await CreateProduct(client)).Id);
        await Send("POST", $"/api/v1/licenses/{license.Id}/revoke", client);

        var verdict = (await Validate(client, license.Key)).As<LicenseValidation>();

        Assert.False(verdict.Valid);
        Assert.Equal("REVOKED", verdict.Code);
        Assert.Equal("revoked", verdict.License!.Status);
    }

    [Fact]
    public async Task a_license_past_its_expiry_is_EXPIRED_and_listed_as_expired()
    {
        var client = await AClient();
        var productId = (await CreateProduct(client)).Id;
        // A license that expired an hour ago: appended as its event, as if issued long before.
        var expired = new LicenseIssued(Guid.CreateVersion7(), productId, "LIC-EXPD-2345-6789-ABCD",
            DateTimeOffset.UtcNow.AddHours(-1), [], DateTimeOffset.UtcNow.AddDays(-30));
        await using (var session = Store.LightweightSession(client.AccountId.ToString()))
        {
            session.Events.Append(productId, expired);
            await session.SaveChangesAsync();
        }
        await IssueLicense(client, productId);

        var verdict = (await Validate(client, expired.Key)).As<LicenseValidation>();
        var listedExpired = (await Get("/api/v1/licenses?status=expired", client)).As<List<LicenseDetails>>();
        var listedActive = (await Get("/api/v1/licenses?status=active", client)).As<List<LicenseDetails>>();

        Assert.Equal("EXPIRED", verdict.Code);
        Assert.Equal("expired", verdict.License!.Status);
        Assert.Equal([expired.Key], listedExpired.Select(x => x.Key));
        Assert.Single(listedActive);
        Assert.Equal(2, await LicensesCount(client, productId)); // expired licenses still count: only revocation removes one
    }

    [Fact]
    public async Task a_license_of_a_deleted_product_is_PRODUCT_DELETED()
    {
        var client = await AClient();
        var productId = (await CreateProduct(client)).Id;
        var license = await IssueLicense(client, productId);
        await Delete($"/api/v1/products/{productId}", client);

        var verdict = (await Validate(client, license.Key)).As<LicenseValidation>();

        Assert.False(verdict.Valid);
        Assert.Equal("PRODUCT_DELETED", verdict.Code);
    }

    [Theory]
    [InlineData("""{}""", "key")]
    [InlineData("""{"key":""}""", "key")]
    [InlineData("""{"key":null}""", "key")]
    [InlineData("""{"key":42}""", "key")]
    [InlineData("""{"key":"LIC-AAAA","extra":1}""", "extra")]
    public async Task a_malformed_request_is_400(string body, string field)
    {
        var client = await AClient();

        var response = await Send("POST", "/api/v1/licenses/validate", client, body);

        Assert.Equal(400, response.Status);
        Assert.Contains(field, response.ErrorFields);
    }
}
