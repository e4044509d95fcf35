// The README's example of how installed software verifies its license file offline, compiled and run by the tests
// (LicenseFiles/VerifyingOffline.cs): the README shows the code between the markers, and a test holds them equal.
// README:begin
using System.Buffers.Text;
using System.Text;
using System.Text.Json;
using NSec.Cryptography; // dotnet add package NSec.Cryptography (Ed25519)

public sealed class LicenseFileRejected(string reason) : Exception(reason);

public static class LicenseFileVerifier
{
    /// <summary>
    /// The license a file grants this product on this machine now, or LicenseFileRejected. `jwks` is the account's
    /// JWK Set (GET /api/v1/accounts/{accountId}/jwks.json), shipped with the software or cached from the last time
    /// it was online; `issuer` is the service's Signing:Issuer; `thisProductsCode` is the code of the product this
    /// software is. Order matters: nothing in the file is believed before its signature is checked.
    /// </summary>
    public static JsonElement Verify(string file, string jwks, string issuer, string thisProductsCode,
        string thisMachinesFingerprint, DateTimeOffset now)
    {
        var parts = file.Split('.');
        if (parts.Length != 3) throw new LicenseFileRejected("not a compact JWS");

        // 1. The signature, with the public key the header names.
        var header = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[0])).RootElement;
        if (header.GetProperty("alg").GetString() != "EdDSA") throw new LicenseFileRejected("not signed with EdDSA");
        if (header.GetProperty("typ").GetString() != "license+jwt") throw new LicenseFileRejected("not a license file");
        var kid = header.GetProperty("kid").GetString();
        var jwk = JsonDocument.Parse(jwks).RootElement.GetProperty("keys").EnumerateArray()
            .FirstOrDefault(key => key.GetProperty("kid").GetString() == kid);
        if (jwk.ValueKind != JsonValueKind.Object || jwk.GetProperty("crv").GetString() != "Ed25519")
            throw new LicenseFileRejected("signed by a key this software does not know");
        var publicKey = PublicKey.Import(SignatureAlgorithm.Ed25519,
            Base64Url.DecodeFromChars(jwk.GetProperty("x").GetString()), KeyBlobFormat.RawPublicKey);
        if (!SignatureAlgorithm.Ed25519.Verify(publicKey, Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]),
                Base64Url.DecodeFromChars(parts[2])))
            throw new LicenseFileRejected("the signature does not match: the file was altered");

        // 2. Who it is from and for: this service, and this product. Every product of an account shares its
        //    signing keys, so without the audience a file of the account's cheapest product would unlock this one.
        var claims = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[1])).RootElement;
        if (claims.GetProperty("iss").GetString() != issuer) throw new LicenseFileRejected("issued by another service");
        if (!string.Equals(claims.GetProperty("aud").GetString(), thisProductsCode, StringComparison.OrdinalIgnoreCase))
            throw new LicenseFileRejected("issued for another product");

        // 3. The period: nbf and exp are Unix seconds. Allow a little clock skew on the way in, none on the way out.
        var seconds = now.ToUnixTimeSeconds();
        if (seconds < claims.GetProperty("nbf").GetInt64() - 300) throw new LicenseFileRejected("not valid yet");
        if (seconds >= claims.GetProperty("exp").GetInt64()) throw new LicenseFileRejected("expired: go online for a new file");

        // 4. The machine: a file asked for with a fingerprint names it; this one must be that machine.
        if (!claims.TryGetProperty("machine", out var machine)
            || machine.GetProperty("fingerprint").GetString() != thisMachinesFingerprint)
            throw new LicenseFileRejected("issued for another machine");

        return claims.GetProperty("license");
    }
}
// README:end
