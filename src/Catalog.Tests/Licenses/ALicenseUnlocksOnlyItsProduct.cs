using System.Buffers.Text;
using Catalog.LicenseFiles;
using Catalog.Licenses;
using Catalog.Validation;
using Catalog.Tests.LicenseFiles;

namespace Catalog.Tests.Licenses;

/// <summary>
/// Every product of an account shares its signing keys, and a license key authenticates alone: what keeps a key of
/// the account's cheapest product out of its dearest is the product each client request names, and the audience of
/// each license file.
/// </summary>
public class ALicenseUnlocksOnlyItsProduct(AppFixture fixture) : ApiTest(fixture)
{
    private sealed record TwoProducts(Client Vendor, string Cheap, string Dear, LicenseDetails CheapLicense);

    /// <summary>One account selling a cheap product and a dear one, and a license of the cheap one.</summary>
    private async Task<TwoProducts> AVendorOfACheapAndADearProduct()
    {
        var vendor = await AClient();
        var cheap = await CreateProduct(vendor, AProduct("cheap-" + Guid.NewGuid().ToString("N")[..6]));
        var dear = await CreateProduct(vendor, AProduct("dear-" + Guid.NewGuid().ToString("N")[..6]));
        var license = await IssueLicense(vendor, cheap.Id, new { maxMachines = 2 });
        return new(vendor, cheap.Code, dear.Code, license);
    }

    [Fact]
    public async Task validation_answers_product_mismatch_for_another_products_code_right_after_not_found()
    {
        var (vendor, cheap, dear, license) = await AVendorOfACheapAndADearProduct();

        async Task<LicenseValidation> Validate(object body) => (await Post("/api/v1/licenses/validate", vendor, body)).As<LicenseValidation>();

        var mismatch = await Validate(new { key = license.Key, product = dear });
        Assert.False(mismatch.Valid);
        Assert.Equal("PRODUCT_MISMATCH", mismatch.Code);
        Assert.Equal("PRODUCT_MISMATCH", (await Validate(new { key = license.Key, product = "no-such-product" })).Code);
        Assert.Equal("VALID", (await Validate(new { key = license.Key, product = cheap })).Code);
        Assert.Equal("VALID", (await Validate(new { key = license.Key, product = cheap.ToUpperInvariant() })).Code);
        Assert.Equal("VALID", (await Validate(new { key = license.Key })).Code);
        Assert.Equal("NOT_FOUND", (await Validate(new { key = "LIC-AAAA-BBBB-CCCC-DDDD", product = dear })).Code);

        // Before every other reason: a revoked license of another product is still "not this product's".
        Assert.Equal(200, (await Post($"/api/v1/licenses/{license.Id}/revoke", vendor, new { })).Status);
        Assert.Equal("PRODUCT_MISMATCH", (await Validate(new { key = license.Key, product = dear })).Code);
        Assert.Equal("REVOKED", (await Validate(new { key = license.Key, product = cheap })).Code);

        var malformed = await Post("/api/v1/licenses/validate", vendor, new { key = license.Key, product = "not a code!" });
        Assert.Equal(400, malformed.Status);
        Assert.Equal(["product"], malformed.ErrorFields);
    }

    [Fact]
    public async Task every_client_endpoint_refuses_a_key_of_another_product()
    {
        var (vendor, cheap, dear, license) = await AVendorOfACheapAndADearProduct();
        var key = license.Key;

        var activation = await AsLicense("POST", "/api/v1/client/machines", key, JsonSerializer.Serialize(new { fingerprint = "host-1", product = dear }));
        Assert.Equal((403, "PRODUCT_MISMATCH"), (activation.Status, activation.Code));
        Assert.Equal(0, (await Get($"/api/v1/licenses/{license.Id}", vendor)).As<LicenseDetails>().MachinesCount);

        var validation = await AsLicense("POST", "/api/v1/client/validate", key, JsonSerializer.Serialize(new { product = dear }));
        Assert.Equal(200, validation.Status);
        var refusedHere = validation.As<ClientLicenseValidation>();
        Assert.Equal((false, "PRODUCT_MISMATCH"), (refusedHere.Valid, refusedHere.Code));

        var read = await AsLicense("GET", $"/api/v1/client/license?product={dear}", key);
        Assert.Equal((403, "PRODUCT_MISMATCH"), (read.Status, read.Code));

        // Its own product's software gets on as before.
        Assert.Equal(201, (await AsLicense("POST", "/api/v1/client/machines", key, JsonSerializer.Serialize(new { fingerprint = "host-1", product = cheap }))).Status);
        Assert.Equal(200, (await AsLicense("GET", $"/api/v1/client/license?product={cheap}", key)).Status);
        var valid = await AsLicense("POST", "/api/v1/client/validate", key, JsonSerializer.Serialize(new { fingerprint = "host-1", product = cheap }));
        Assert.Equal("VALID", valid.As<ClientLicenseValidation>().Code);

        var file = await AsLicense("POST", "/api/v1/client/license-file", key, JsonSerializer.Serialize(new { fingerprint = "host-1", product = dear }));
        Assert.Equal((403, "PRODUCT_MISMATCH"), (file.Status, file.Code));

        var deactivation = await AsLicense("DELETE", $"/api/v1/client/machines/host-1?product={dear}", key);
        Assert.Equal((403, "PRODUCT_MISMATCH"), (deactivation.Status, deactivation.Code));
        Assert.Equal(1, (await Get($"/api/v1/licenses/{license.Id}", vendor)).As<LicenseDetails>().MachinesCount);

        foreach (var (method, url, body) in new[]
                 {
                     ("POST", "/api/v1/client/machines", JsonSerializer.Serialize(new { fingerprint = "host-2", product = "" })),
                     ("POST", "/api/v1/client/validate", JsonSerializer.Serialize(new { product = new string('p', 51) })),
                     ("POST", "/api/v1/client/license-file", JsonSerializer.Serialize(new { fingerprint = "host-1", product = "a b" })),
                     ("GET", "/api/v1/client/license?product=a%20b", null),
                     ("DELETE", "/api/v1/client/machines/host-1?product=%00", null)
                 })
        {
            var malformed = await AsLicense(method, url, key, body);
            Assert.True(malformed.Status == 400, $"{method} {url}: {malformed}");
            Assert.Equal(["product"], malformed.ErrorFields);
        }
        // A misspelt or repeated product is refused, never a way round the check.
        foreach (var (method, url, field) in new[]
                 {
                     ("GET", $"/api/v1/client/license?produt={dear}", "produt"),
                     ("GET", $"/api/v1/client/license?product={cheap}&product={dear}", "product"),
                     ("DELETE", $"/api/v1/client/machines/host-1?produkt={dear}", "produkt")
                 })
        {
            var refused = await AsLicense(method, url, key);
            Assert.True(refused.Status == 400, $"{method} {url}: {refused}");
            Assert.Equal([field], refused.ErrorFields);
        }
        // A POST takes its product in the body: one sent in the query is refused, never taken for no product at all.
        var inTheQuery = await AsLicense("POST", $"/api/v1/client/validate?product={cheap}", key, "{}");
        Assert.True(inTheQuery.Status == 400, inTheQuery.ToString());
        Assert.Equal(["product"], inTheQuery.ErrorFields);
        Assert.Equal(204, (await AsLicense("DELETE", $"/api/v1/client/machines/host-1?product={cheap}", key)).Status);
    }

    [Fact]
    public async Task a_license_file_names_its_product_as_audience_and_another_products_verifier_refuses_it()
    {
        var (vendor, cheap, dear, license) = await AVendorOfACheapAndADearProduct();
        Assert.Equal(201, (await AsLicense("POST", "/api/v1/client/machines", license.Key, JsonSerializer.Serialize(new { fingerprint = "host-1" }))).Status);

        var response = await AsLicense("POST", "/api/v1/client/license-file", license.Key, JsonSerializer.Serialize(new { fingerprint = "host-1", product = cheap }));
        Assert.True(response.Status == 200, response.ToString());
        var file = response.As<LicenseFileDetails>().File;
        var jwks = (await Get($"/api/v1/accounts/{vendor.AccountId}/jwks.json", null)).Text;

        var claims = JsonDocument.Parse(Base64Url.DecodeFromChars(file.Split('.')[1])).RootElement;
        Assert.Equal(cheap, claims.GetProperty("aud").GetString());
        Assert.True((await Jose.Verify(file, jwks, audience: cheap)).Valid);
        // The dear product's software, verifying as every JOSE library does with its own code as the audience.
        Assert.Equal("ERR_JWT_CLAIM_VALIDATION_FAILED", (await Jose.Verify(file, jwks, audience: dear)).Error);
        Assert.Throws<LicenseFileRejected>(() => LicenseFileVerifier.Verify(file, jwks, "catalog", dear, "host-1", DateTimeOffset.UtcNow));

        // The vendor's own file of the license carries the audience too.
        var vendorsFile = (await Get($"/api/v1/licenses/{license.Id}/file", vendor)).As<LicenseFileDetails>().File;
        Assert.Equal("ERR_JWT_CLAIM_VALIDATION_FAILED", (await Jose.Verify(vendorsFile, jwks, audience: dear)).Error);
    }
}
