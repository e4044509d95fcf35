using System.Net;
using System.Text;
using Catalog.Licensing;
using Org.BouncyCastle.Math.EC.Rfc8032;
using Org.BouncyCastle.Security;

namespace Catalog.Tests.Sdk;

/// <summary>
/// A fake server, or a proxy rewriting answers, grants nothing: the SDK grants only on a license file whose signature
/// verifies with the account's keys, whatever else an answer says.
/// </summary>
[Collection(ServiceCollection.Name)]
public class FakeServer(AppFixture fixture) : SdkTest(fixture)
{
    /// <summary>An attacker's Ed25519 key, and a JWK Set publishing it.</summary>
    private sealed class Forger
    {
        private readonly byte[] _private = new byte[Ed25519.SecretKeySize];
        public readonly byte[] Public = new byte[Ed25519.PublicKeySize];

        public Forger()
        {
            Ed25519.GeneratePrivateKey(new SecureRandom(), _private);
            Ed25519.GeneratePublicKey(_private, 0, Public, 0);
        }

        public string Jwks(string kid) => JsonSerializer.Serialize(new
        {
            keys = new[] { new { kty = "OKP", crv = "Ed25519", x = B64(Public), kid, alg = "EdDSA", use = "sig" } },
        });

        public string Sign(string header, string claims)
        {
            var signingInput = B64(Encoding.UTF8.GetBytes(header)) + "." + B64(Encoding.UTF8.GetBytes(claims));
            var message = Encoding.ASCII.GetBytes(signingInput);
            var signature = new byte[Ed25519.SignatureSize];
            Ed25519.Sign(_private, 0, message, 0, message.Length, signature, 0);
            return signingInput + "." + B64(signature);
        }
    }

    private static string B64(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static string Claims(LicensedProduct licensed, string fingerprint) => JsonSerializer.Serialize(new
    {
        iss = "catalog", sub = licensed.License.Id, aud = licensed.ProductCode,
        iat = DateTimeOffset.UtcNow.ToUnixTimeSeconds(), nbf = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
        exp = DateTimeOffset.UtcNow.AddYears(10).ToUnixTimeSeconds(),
        license = new
        {
            id = licensed.License.Id, productId = licensed.ProductId, productCode = licensed.ProductCode, status = "active",
            expiresAt = (DateTimeOffset?)null, maxMachines = (int?)null, entitlements = new[] { "everything" }, metadata = new { },
        },
        machine = new { id = Guid.NewGuid(), fingerprint },
    });

    /// <summary>A server that answers every request 200 with "valid", the file given, and the attacker's JWK Set.</summary>
    private static Func<HttpRequestMessage, HttpResponseMessage?> Answering(string file, string jwks) => request =>
        request.RequestUri!.AbsolutePath.EndsWith("/jwks.json", StringComparison.Ordinal)
            ? Network.Json(HttpStatusCode.OK, jwks)
            : Network.Json(HttpStatusCode.OK, JsonSerializer.Serialize(new
            {
                data = new { valid = true, code = "VALID", file, kid = "k", issuedAt = DateTimeOffset.UtcNow, expiresAt = DateTimeOffset.UtcNow.AddYears(10) },
            }));

    private async Task<string> TheAccountsJwks(LicensedProduct licensed) =>
        (await Get($"/api/v1/accounts/{licensed.Vendor.AccountId}/jwks.json", null)).Text;

    [Fact]
    public async Task valid_true_an_unsigned_file_or_one_signed_by_another_key_grants_nothing_on_a_fresh_install()
    {
        var licensed = await ALicensedProduct();
        var pinned = await TheAccountsJwks(licensed);
        var forger = new Forger();
        var realKid = JsonDocument.Parse(pinned).RootElement.GetProperty("keys")[0].GetProperty("kid").GetString()!;
        var claims = Claims(licensed, "machine-1");
        string[] answers =
        [
            "",                                                                                        // {"valid": true} and no file
            B64(Encoding.UTF8.GetBytes("""{"alg":"none","typ":"license+jwt"}""")) + "." + B64(Encoding.UTF8.GetBytes(claims)) + ".",
            forger.Sign($$"""{"alg":"EdDSA","kid":"{{realKid}}","typ":"license+jwt"}""", claims),   // the account's kid, another key
            forger.Sign("""{"alg":"EdDSA","kid":"forged","typ":"license+jwt"}""", claims),          // the forger's kid and JWK Set
        ];
        foreach (var file in answers)
        {
            var network = TheNetwork();
            network.Fake = Answering(file, forger.Jwks("forged"));
            var sdk = AnSdk(licensed, network, pinnedJwks: pinned);
            var check = await sdk.CheckAsync();
            Assert.False(check.IsValid, file);
            Assert.Equal(LicenseStatus.NoLicenseFile, check.Status);
            Assert.Equal(LicensingErrorCode.Untrusted, check.Error!.Code);
            Assert.Null(await sdk.Store.ReadAsync(LicensingClient.FileEntry));
        }
    }

    [Fact]
    public async Task a_fake_server_after_a_real_check_neither_extends_nor_replaces_the_verified_file()
    {
        var licensed = await ALicensedProduct(new { name = "One hour offline", fileLifetime = 3600 });
        var network = TheNetwork();
        var sdk = AnSdk(licensed, network);
        await sdk.ActivateAsync();
        var real = await sdk.CheckAsync();
        Assert.True(real.IsValid);

        // The real file's claims with a longer exp, under its own signature: the signature no longer matches.
        var parts = real.File!.Token.Split('.');
        var claims = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(Convert.FromBase64String(Pad(parts[1])))!;
        claims["exp"] = JsonSerializer.SerializeToElement(DateTimeOffset.UtcNow.AddYears(10).ToUnixTimeSeconds());
        var stretched = parts[0] + "." + B64(JsonSerializer.SerializeToUtf8Bytes(claims)) + "." + parts[2];
        network.Fake = Answering(stretched, "{\"keys\":[]}");

        var check = await sdk.CheckAsync();
        // It falls back on what it verified before: valid until the real file's end, and says why it is offline.
        Assert.True(check.IsValid);
        Assert.True(check.Offline);
        Assert.Equal(LicensingErrorCode.Untrusted, check.Error!.Code);
        Assert.Equal(real.ValidUntil, check.ValidUntil);
        Assert.Equal(real.File.Token, await sdk.Store.ReadAsync(LicensingClient.FileEntry));
        Fixture.Clock.Advance(TimeSpan.FromMinutes(61));
        Assert.Equal(LicenseStatus.OfflineGraceEnded, (await sdk.CheckAsync()).Status);
    }

    [Fact]
    public async Task a_cached_file_edited_on_disk_verifies_no_more()
    {
        var licensed = await ALicensedProduct();
        var network = TheNetwork();
        var sdk = AnSdk(licensed, network);
        await sdk.ActivateAsync();
        var token = (await sdk.CheckAsync()).File!.Token;
        await sdk.Store.WriteAsync(LicensingClient.FileEntry, token[..^4] + (token[^4] == 'A' ? "BAAA" : "AAAA"));
        network.Down = true;
        Assert.Equal(LicenseStatus.NoLicenseFile, (await sdk.CheckAsync()).Status);
    }

    [Fact]
    public async Task with_keys_pinned_a_forged_key_set_and_file_written_into_the_store_grant_nothing()
    {
        var licensed = await ALicensedProduct();
        var pinned = await TheAccountsJwks(licensed);
        var network = TheNetwork();
        var sdk = AnSdk(licensed, network, pinnedJwks: pinned);
        var forger = new Forger();
        await sdk.Store.WriteAsync(LicensingClient.KeysEntry, forger.Jwks("forged"));
        await sdk.Store.WriteAsync(LicensingClient.FileEntry,
            forger.Sign("""{"alg":"EdDSA","kid":"forged","typ":"license+jwt"}""", Claims(licensed, "machine-1")));
        network.Down = true;
        var check = await sdk.CheckAsync();
        Assert.Equal(LicenseStatus.NoLicenseFile, check.Status);
    }

    [Fact]
    public async Task a_proxys_bare_401_or_a_broken_handler_leaves_the_verified_file_in_place()
    {
        var licensed = await ALicensedProduct();
        var network = TheNetwork();
        var sdk = AnSdk(licensed, network);
        await sdk.ActivateAsync();
        Assert.True((await sdk.CheckAsync()).IsValid);

        network.Fake = _ => Network.Json(HttpStatusCode.Unauthorized, "<html>Sign in to the hotel's Wi-Fi</html>");
        var portal = await sdk.CheckAsync();
        Assert.True(portal.IsValid);
        Assert.True(portal.Offline);
        Assert.Equal(LicensingErrorCode.InvalidKey, portal.Error!.Code);

        network.Fake = _ => throw new InvalidOperationException("a broken proxy");
        var broken = await sdk.CheckAsync();
        Assert.True(broken.IsValid);
        Assert.Equal(LicensingErrorCode.Unreachable, broken.Error!.Code);
        Assert.Equal(LicensingErrorCode.Unreachable, (await sdk.ActivateAsync()).Error!.Code);
    }

    /// <summary>A store that fails every call: a folder the user may not write, a disk full.</summary>
    private sealed class BrokenStore : ILicenseStore
    {
        public Task<string?> ReadAsync(string name, CancellationToken cancellationToken = default) => throw new IOException("disk error");
        public Task WriteAsync(string name, string content, CancellationToken cancellationToken = default) => throw new UnauthorizedAccessException();
        public Task DeleteAsync(string name, CancellationToken cancellationToken = default) => throw new IOException("disk error");
    }

    [Fact]
    public async Task a_store_that_fails_costs_the_offline_cache_but_never_throws_out_of_a_call()
    {
        var licensed = await ALicensedProduct();
        var network = TheNetwork();
        var sdk = AnSdk(licensed, network, configure: options => options.Store = new BrokenStore());
        Assert.True((await sdk.ActivateAsync()).Succeeded);
        Assert.True((await sdk.CheckAsync()).IsValid);
        Assert.True((await sdk.DeactivateAsync()).Succeeded);
        Assert.Equal(LicenseStatus.NotActivated, (await sdk.CheckAsync()).Status);
        network.Down = true;
        Assert.Equal(LicenseStatus.NoLicenseFile, (await sdk.CheckAsync()).Status);
    }

    private static string Pad(string base64Url)
    {
        var text = base64Url.Replace('-', '+').Replace('_', '/');
        return text + new string('=', (4 - text.Length % 4) % 4);
    }
}
