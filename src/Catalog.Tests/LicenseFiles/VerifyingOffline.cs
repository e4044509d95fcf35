using System.Buffers.Text;
using System.Text;

namespace Catalog.Tests.LicenseFiles;

/// <summary>
/// A license file is a signed JWT that any JOSE library verifies with the account's JWK Set alone: the software
/// that holds it runs offline. Each file is checked here by jose on Node.js (an implementation that shares nothing
/// with the service's) and by the README's C# verifier.
/// </summary>
public class VerifyingOffline(AppFixture fixture) : ApiTest(fixture)
{
    /// <summary>What the licenses here are issued with, unless a test says otherwise.</summary>
    private static readonly object ThreeSeatsOnThePro = new { maxMachines = 3, metadata = new { plan = "pro" } };

    private Task<ApiResponse> Activate(Catalog.Licenses.LicenseDetails license, string fingerprint) =>
        AsLicense("POST", "/api/v1/client/machines", license.Key, JsonSerializer.Serialize(new { fingerprint }));

    private Task<ApiResponse> FileFor(Catalog.Licenses.LicenseDetails license, string? fingerprint = null) =>
        AsLicense("POST", "/api/v1/client/license-file", license.Key, JsonSerializer.Serialize(new { fingerprint }));

    private async Task<string> Jwks(Guid accountId)
    {
        var response = await Get($"/api/v1/accounts/{accountId}/jwks.json", null);
        Assert.True(response.Status == 200, response.ToString());
        return response.Text;
    }

    private async Task<string> ProductCodeOf(Client vendor, Catalog.Licenses.LicenseDetails license) =>
        (await Read<Catalog.Products.ProductDetails>("GET", $"/api/v1/products/{license.ProductId}", vendor)).Code;

    private static JsonElement Part(string file, int index) => JsonDocument.Parse(Base64Url.DecodeFromChars(file.Split('.')[index])).RootElement;

    [Fact]
    public async Task a_machine_gets_a_file_that_verifies_with_the_accounts_jwk_set_in_another_language()
    {
        var (vendor, license) = await ALicense(ThreeSeatsOnThePro);
        var machine = (await Activate(license, "host-8f2a")).As<Catalog.Machines.MachineDetails>();

        var response = await FileFor(license, "host-8f2a");
        Assert.True(response.Status == 200, response.ToString());
        Assert.Equal(["file", "kid", "issuedAt", "expiresAt"], response.Data.EnumerateObject().Select(x => x.Name));
        var answer = response.As<Catalog.LicenseFiles.LicenseFileDetails>();
        var file = answer.File;

        var jwks = await Jwks(vendor.AccountId);
        var verdict = await Jose.Verify(file, jwks);
        Assert.True(verdict.Valid, verdict.Error);

        Assert.Equal("EdDSA", verdict.Header.GetProperty("alg").GetString());
        Assert.Equal("license+jwt", verdict.Header.GetProperty("typ").GetString());
        Assert.Equal(answer.Kid, verdict.Header.GetProperty("kid").GetString());

        var claims = verdict.Claims;
        Assert.Equal("catalog", claims.GetProperty("iss").GetString());
        Assert.Equal(license.Id.ToString(), claims.GetProperty("sub").GetString());
        Assert.Equal(await ProductCodeOf(vendor, license), claims.GetProperty("aud").GetString());
        var iat = claims.GetProperty("iat").GetInt64();
        Assert.Equal(iat, claims.GetProperty("nbf").GetInt64());
        Assert.Equal(iat + (long)TimeSpan.FromDays(30).TotalSeconds, claims.GetProperty("exp").GetInt64());
        Assert.InRange(iat, DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 60, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(iat), answer.IssuedAt);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(claims.GetProperty("exp").GetInt64()), answer.ExpiresAt);

        var granted = claims.GetProperty("license");
        Assert.Equal(["id", "productId", "productCode", "status", "expiresAt", "maxMachines", "entitlements", "metadata"],
            granted.EnumerateObject().Select(x => x.Name));
        Assert.Equal(license.Id.ToString(), granted.GetProperty("id").GetString());
        // A copied file does not hand out the license key.
        Assert.DoesNotContain(license.Key, Encoding.UTF8.GetString(Base64Url.DecodeFromChars(file.Split('.')[1])));
        Assert.Equal(license.ProductId.ToString(), granted.GetProperty("productId").GetString());
        Assert.StartsWith("code-", granted.GetProperty("productCode").GetString());
        Assert.Equal("active", granted.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, granted.GetProperty("expiresAt").ValueKind);
        Assert.Equal(3, granted.GetProperty("maxMachines").GetInt32());
        Assert.Equal("pro", granted.GetProperty("metadata").GetProperty("plan").GetString());
        Assert.Equal(machine.Id.ToString(), claims.GetProperty("machine").GetProperty("id").GetString());
        Assert.Equal("host-8f2a", claims.GetProperty("machine").GetProperty("fingerprint").GetString());

        // Without a fingerprint (the vendor's own decision: the software gets none on a license with seats) the file
        // names no machine.
        var unbound = (await Get($"/api/v1/licenses/{license.Id}/file", vendor)).As<Catalog.LicenseFiles.LicenseFileDetails>().File;
        Assert.False(Part(unbound, 1).TryGetProperty("machine", out _));
        Assert.True((await Jose.Verify(unbound, jwks)).Valid);

        // Another account's keys do not verify it.
        var stranger = await AClient();
        Assert.Equal("ERR_JWKS_NO_MATCHING_KEY", (await Jose.Verify(file, await Jwks(stranger.AccountId))).Error);
    }

    [Fact]
    public async Task one_changed_byte_of_the_payload_or_the_signature_and_the_file_no_longer_verifies()
    {
        var (vendor, license) = await ALicense(ThreeSeatsOnThePro);
        var file = (await Get($"/api/v1/licenses/{license.Id}/file", vendor)).As<Catalog.LicenseFiles.LicenseFileDetails>().File;
        var jwks = await Jwks(vendor.AccountId);
        var parts = file.Split('.');

        // The payload with maxMachines 3 made 9: one byte.
        var payload = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(parts[1]));
        Assert.Contains("\"maxMachines\":3", payload);
        var forged = parts[0] + "." + Base64Url.EncodeToString(Encoding.UTF8.GetBytes(payload.Replace("\"maxMachines\":3", "\"maxMachines\":9"))) + "." + parts[2];
        Assert.Equal("ERR_JWS_SIGNATURE_VERIFICATION_FAILED", (await Jose.Verify(forged, jwks)).Error);
        Assert.Throws<LicenseFileRejected>(() => LicenseFileVerifier.Verify(forged, jwks, "catalog", "any", "any", DateTimeOffset.UtcNow));

        var signature = Base64Url.DecodeFromChars(parts[2]);
        signature[10] ^= 1;
        var badSignature = parts[0] + "." + parts[1] + "." + Base64Url.EncodeToString(signature);
        Assert.Equal("ERR_JWS_SIGNATURE_VERIFICATION_FAILED", (await Jose.Verify(badSignature, jwks)).Error);

        Assert.True((await Jose.Verify(file, jwks)).Valid); // and the file as issued does verify
    }

    [Fact]
    public async Task the_readme_verifier_checks_the_signature_then_issuer_and_product_then_the_period_then_the_machine()
    {
        var (vendor, license) = await ALicense(ThreeSeatsOnThePro);
        var product = await ProductCodeOf(vendor, license);
        Assert.Equal(201, (await Activate(license, "host-8f2a")).Status);
        var file = (await FileFor(license, "host-8f2a")).As<Catalog.LicenseFiles.LicenseFileDetails>().File;
        var jwks = await Jwks(vendor.AccountId);
        var exp = DateTimeOffset.FromUnixTimeSeconds(Part(file, 1).GetProperty("exp").GetInt64());

        var granted = LicenseFileVerifier.Verify(file, jwks, "catalog", product, "host-8f2a", DateTimeOffset.UtcNow);
        Assert.Equal(license.Id.ToString(), granted.GetProperty("id").GetString());
        Assert.Equal(license.Id.ToString(), LicenseFileVerifier.Verify(file, jwks, "catalog", product.ToUpperInvariant(), "host-8f2a", exp.AddSeconds(-1))
            .GetProperty("id").GetString());

        Assert.Contains("expired", Assert.Throws<LicenseFileRejected>(() => LicenseFileVerifier.Verify(file, jwks, "catalog", product, "host-8f2a", exp)).Message);
        Assert.Contains("another machine", Assert.Throws<LicenseFileRejected>(() =>
            LicenseFileVerifier.Verify(file, jwks, "catalog", product, "host-0000", DateTimeOffset.UtcNow)).Message);
        // The software of another product of the same account (same keys) refuses it, and so does another service's.
        Assert.Contains("another product", Assert.Throws<LicenseFileRejected>(() =>
            LicenseFileVerifier.Verify(file, jwks, "catalog", "another-product", "host-8f2a", DateTimeOffset.UtcNow)).Message);
        Assert.Contains("another service", Assert.Throws<LicenseFileRejected>(() =>
            LicenseFileVerifier.Verify(file, jwks, "https://licenses.example.com", product, "host-8f2a", DateTimeOffset.UtcNow)).Message);
        var stranger = await AClient();
        Assert.Contains("does not know", Assert.Throws<LicenseFileRejected>(() =>
            LicenseFileVerifier.Verify(file, "{\"keys\":[]}", "catalog", product, "host-8f2a", DateTimeOffset.UtcNow)).Message);
        var strangersKeys = await Jwks(stranger.AccountId);
        Assert.Throws<LicenseFileRejected>(() => LicenseFileVerifier.Verify(file, strangersKeys, "catalog", product, "host-8f2a", DateTimeOffset.UtcNow));

        // The README shows exactly this verifier.
        var sample = File.ReadAllText(Path.Combine(TestTools.RepositoryRoot, "src", "Catalog.Tests", "LicenseFiles", "OfflineVerification.cs"));
        var code = sample[(sample.IndexOf("// README:begin\n", StringComparison.Ordinal) + 16)..sample.IndexOf("// README:end", StringComparison.Ordinal)];
        var readme = File.ReadAllText(Path.Combine(TestTools.RepositoryRoot, "README.md"));
        Assert.Contains("```csharp\n" + code + "```", readme);
    }

    [Fact]
    public async Task a_file_never_outlives_its_license()
    {
        var expiresAt = DateTimeOffset.UtcNow.AddDays(2).AddMilliseconds(500);
        var (_, license) = await ALicense(new { expiresAt });
        var response = await FileFor(license);
        Assert.True(response.Status == 200, response.ToString());

        var claims = Part(response.As<Catalog.LicenseFiles.LicenseFileDetails>().File, 1);
        var licenseExpiry = license.ExpiresAt!.Value;
        Assert.Equal(licenseExpiry.ToUnixTimeSeconds(), claims.GetProperty("exp").GetInt64());
        Assert.True(DateTimeOffset.FromUnixTimeSeconds(claims.GetProperty("exp").GetInt64()) <= licenseExpiry);
        Assert.Equal(licenseExpiry, claims.GetProperty("license").GetProperty("expiresAt").GetDateTimeOffset());
    }

    [Fact]
    public async Task the_vendors_back_end_gets_the_same_file_with_licenses_read_and_nothing_of_another_account()
    {
        var (vendor, license) = await ALicense(ThreeSeatsOnThePro);
        Assert.Equal(201, (await Activate(license, "host-8f2a")).Status);

        var response = await Get($"/api/v1/licenses/{license.Id}/file?fingerprint=host-8f2a", vendor);
        Assert.True(response.Status == 200, response.ToString());
        var verdict = await Jose.Verify(response.As<Catalog.LicenseFiles.LicenseFileDetails>().File, await Jwks(vendor.AccountId));
        Assert.True(verdict.Valid, verdict.Error);
        Assert.Equal("host-8f2a", verdict.Claims.GetProperty("machine").GetProperty("fingerprint").GetString());
        Assert.Equal(200, (await Get($"/api/v1/licenses/{license.Id}/file", vendor)).Status);

        var readOnly = await AKeyFor(vendor.AccountId, Scopes.LicensesRead);
        Assert.Equal(200, (await Get($"/api/v1/licenses/{license.Id}/file", readOnly)).Status);
        foreach (var scope in new[] { Scopes.LicensesValidate, Scopes.LicensesWrite, Scopes.ProductsRead })
            Assert.Equal(403, (await Get($"/api/v1/licenses/{license.Id}/file", await AKeyFor(vendor.AccountId, scope))).Status);
        Assert.Equal(401, (await Get($"/api/v1/licenses/{license.Id}/file", null)).Status);
        // A license key is no API key.
        Assert.Equal(401, (await AsLicense("GET", $"/api/v1/licenses/{license.Id}/file", license.Key)).Status);

        var stranger = await AClient();
        Assert.Equal(404, (await Get($"/api/v1/licenses/{license.Id}/file", stranger)).Status);

        var bad = await Get($"/api/v1/licenses/{license.Id}/file?fingerprint=", vendor);
        Assert.Equal(400, bad.Status);
        Assert.Equal(["fingerprint"], bad.ErrorFields);
        Assert.Equal(400, (await Get($"/api/v1/licenses/{license.Id}/file?fingerprint=" + new string('f', 256), vendor)).Status);
        Assert.Equal(400, (await FileFor(license, new string('f', 256))).Status);
        // Its query is refused as every list's is: a repeated fingerprint is not joined "a,b", a typo not ignored.
        var repeated = await Get($"/api/v1/licenses/{license.Id}/file?fingerprint=host-8f2a&fingerprint=other", vendor);
        Assert.Equal(400, repeated.Status);
        Assert.Equal(["fingerprint"], repeated.ErrorFields);
        var unknown = await Get($"/api/v1/licenses/{license.Id}/file?fingerprnt=host-8f2a", vendor);
        Assert.Equal(400, unknown.Status);
        Assert.Equal(["fingerprnt"], unknown.ErrorFields);
    }

    [Fact]
    public async Task no_file_for_a_machine_not_active_nor_for_a_suspended_or_revoked_license()
    {
        var (vendor, license) = await ALicense(ThreeSeatsOnThePro);
        var url = $"/api/v1/licenses/{license.Id}/file";
        Assert.Equal(201, (await Activate(license, "host-1")).Status);

        var notActive = await FileFor(license, "host-never-seen");
        Assert.Equal(403, notActive.Status);
        Assert.Equal("NOT_ACTIVATED", notActive.Code);
        Assert.Equal("NOT_ACTIVATED", (await Get(url + "?fingerprint=host-never-seen", vendor)).Code);

        Assert.Equal(200, (await Post($"/api/v1/licenses/{license.Id}/suspend", vendor, new { })).Status);
        var suspended = await FileFor(license, "host-1");
        Assert.Equal(403, suspended.Status);
        Assert.Equal("SUSPENDED", suspended.Code);
        Assert.Equal("SUSPENDED", (await Get(url, vendor)).Code);
        Assert.Equal(200, (await Post($"/api/v1/licenses/{license.Id}/reinstate", vendor, new { })).Status);
        Assert.Equal(200, (await FileFor(license, "host-1")).Status);

        Assert.Equal(200, (await Post($"/api/v1/licenses/{license.Id}/revoke", vendor, new { })).Status);
        var revoked = await Get(url, vendor);
        Assert.Equal(403, revoked.Status);
        Assert.Equal("REVOKED", revoked.Code);
        // The revoked key is no credential any more (each node may believe it for up to 2 seconds: meanwhile, no file).
        await Eventually(async () =>
        {
            var client = await FileFor(license, "host-1");
            if (client.Status == 403) Assert.Equal("REVOKED", client.Code);
            else Assert.Equal(("License", 401), (client.Headers.WWWAuthenticate.ToString(), client.Status));
            return client.Status == 401;
        }, "the revoked key refused", seconds: 10);
    }

    [Fact]
    public async Task the_jwk_set_is_public_and_an_unknown_account_is_an_ordinary_404()
    {
        var vendor = await AClient();
        var response = await Get($"/api/v1/accounts/{vendor.AccountId}/jwks.json", null);
        Assert.Equal(200, response.Status);
        Assert.Equal("max-age=300", response.Headers.CacheControl.ToString());
        var key = Assert.Single(response.Json.GetProperty("keys").EnumerateArray());
        Assert.Equal(["kty", "crv", "x", "kid", "alg", "use"], key.EnumerateObject().Select(x => x.Name));
        Assert.Equal("OKP", key.GetProperty("kty").GetString());
        Assert.Equal("Ed25519", key.GetProperty("crv").GetString());
        Assert.Equal("EdDSA", key.GetProperty("alg").GetString());
        Assert.Equal("sig", key.GetProperty("use").GetString());
        Assert.Equal(32, Base64Url.DecodeFromChars(key.GetProperty("x").GetString()).Length);
        // The kid is the key's RFC 7638 thumbprint.
        var thumbprint = System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(
            $$"""{"crv":"Ed25519","kty":"OKP","x":"{{key.GetProperty("x").GetString()}}"}"""));
        Assert.Equal(Base64Url.EncodeToString(thumbprint), key.GetProperty("kid").GetString());
        // Nothing private in it.
        Assert.DoesNotContain("\"d\"", response.Text);

        var unknownAccount = await Get($"/api/v1/accounts/{Guid.CreateVersion7()}/jwks.json", null);
        var unknownProduct = await Get($"/api/v1/products/{Guid.CreateVersion7()}", vendor);
        Assert.Equal(404, unknownAccount.Status);
        static string WithoutTraceId(ApiResponse response)
        {
            var problem = System.Text.Json.Nodes.JsonNode.Parse(response.Text)!.AsObject();
            problem.Remove("traceId");
            return problem.ToJsonString();
        }
        Assert.Equal(WithoutTraceId(unknownProduct), WithoutTraceId(unknownAccount));
        Assert.Equal(unknownProduct.ContentType, unknownAccount.ContentType);
        Assert.Equal(404, (await Get("/api/v1/accounts/not-an-id/jwks.json", null)).Status);
        Assert.Equal(404, (await Get($"/api/v1/accounts/{Guid.Empty}/jwks.json", null)).Status);
    }
}
