using System;
using System.Collections.Generic;
using System.Text;
using System.Text.Json;
using Org.BouncyCastle.Math.EC.Rfc8032;

namespace Catalog.Licensing
{
    /// <summary>A license file whose signature and claims were verified: what the software may rely on offline.</summary>
    public sealed class LicenseFile
    {
        internal LicenseFile(string token, string kid, JsonElement claims)
        {
            Token = token;
            Kid = kid;
            Issuer = claims.GetProperty("iss").GetString()!;
            Audience = claims.GetProperty("aud").GetString()!;
            IssuedAt = DateTimeOffset.FromUnixTimeSeconds(claims.GetProperty("iat").GetInt64());
            NotBefore = DateTimeOffset.FromUnixTimeSeconds(claims.GetProperty("nbf").GetInt64());
            ExpiresAt = DateTimeOffset.FromUnixTimeSeconds(claims.GetProperty("exp").GetInt64());
            var license = claims.GetProperty("license");
            LicenseId = Guid.Parse(license.GetProperty("id").GetString()!);
            ProductCode = license.GetProperty("productCode").GetString()!;
            Status = license.GetProperty("status").GetString()!;
            LicenseExpiresAt = license.TryGetProperty("expiresAt", out var expires) && expires.ValueKind == JsonValueKind.String
                ? expires.GetDateTimeOffset() : (DateTimeOffset?)null;
            MaxMachines = license.TryGetProperty("maxMachines", out var max) && max.ValueKind == JsonValueKind.Number ? max.GetInt32() : (int?)null;
            var entitlements = new List<string>();
            if (license.TryGetProperty("entitlements", out var codes) && codes.ValueKind == JsonValueKind.Array)
                foreach (var code in codes.EnumerateArray())
                    if (code.ValueKind == JsonValueKind.String) entitlements.Add(code.GetString()!);
            Entitlements = entitlements;
            var metadata = new Dictionary<string, JsonElement>();
            if (license.TryGetProperty("metadata", out var meta) && meta.ValueKind == JsonValueKind.Object)
                foreach (var entry in meta.EnumerateObject()) metadata[entry.Name] = entry.Value.Clone();
            Metadata = metadata;
            if (claims.TryGetProperty("machine", out var machine) && machine.ValueKind == JsonValueKind.Object)
            {
                MachineId = Guid.Parse(machine.GetProperty("id").GetString()!);
                Fingerprint = machine.GetProperty("fingerprint").GetString();
            }
            if (claims.TryGetProperty("lease", out var lease) && lease.ValueKind == JsonValueKind.Object)
            {
                LeaseId = Guid.Parse(lease.GetProperty("id").GetString()!);
                LeaseExpiresAt = lease.GetProperty("expiresAt").GetDateTimeOffset();
            }
        }

        /// <summary>The file itself (the compact JWS).</summary>
        public string Token { get; }
        /// <summary>The id of the key that signed it.</summary>
        public string Kid { get; }
        /// <summary><c>iss</c>.</summary>
        public string Issuer { get; }
        /// <summary><c>aud</c>: the product's code.</summary>
        public string Audience { get; }
        /// <summary><c>iat</c>: when the service made it (a trusted time).</summary>
        public DateTimeOffset IssuedAt { get; }
        /// <summary><c>nbf</c>.</summary>
        public DateTimeOffset NotBefore { get; }
        /// <summary><c>exp</c>: the end of the offline grace it gives.</summary>
        public DateTimeOffset ExpiresAt { get; }
        /// <summary>The license's id (<c>sub</c>).</summary>
        public Guid LicenseId { get; }
        /// <summary>The license's product code.</summary>
        public string ProductCode { get; }
        /// <summary>The license's status when the file was made (always <c>active</c> in a file that verifies).</summary>
        public string Status { get; }
        /// <summary>The license's own expiry; null when perpetual.</summary>
        public DateTimeOffset? LicenseExpiresAt { get; }
        /// <summary>The license's seat limit; null for none.</summary>
        public int? MaxMachines { get; }
        /// <summary>The entitlement codes the license grants.</summary>
        public IReadOnlyList<string> Entitlements { get; }
        /// <summary>The vendor's metadata on the license.</summary>
        public IReadOnlyDictionary<string, JsonElement> Metadata { get; }
        /// <summary>The machine it is bound to.</summary>
        public Guid? MachineId { get; }
        /// <summary>The fingerprint it is bound to.</summary>
        public string? Fingerprint { get; }
        /// <summary>The borrowed lease it carries, if any.</summary>
        public Guid? LeaseId { get; }
        /// <summary>The borrowed lease's end.</summary>
        public DateTimeOffset? LeaseExpiresAt { get; }

        /// <summary>True when the license grants that entitlement (codes compare ignoring case).</summary>
        public bool HasEntitlement(string code)
        {
            foreach (var granted in Entitlements)
                if (string.Equals(granted, code, StringComparison.OrdinalIgnoreCase)) return true;
            return false;
        }
    }

    /// <summary>Why a license file did not verify.</summary>
    public enum LicenseFileFailure
    {
        /// <summary>It verified.</summary>
        None,
        /// <summary>Not a compact JWS of JSON header and claims.</summary>
        Malformed,
        /// <summary>Its header is not <c>alg</c> EdDSA and <c>typ</c> license+jwt (so <c>none</c>, HMAC and others are refused).</summary>
        UnsupportedHeader,
        /// <summary>Its <c>kid</c> is not in the JWK Set.</summary>
        UnknownKey,
        /// <summary>The signature does not verify with that key.</summary>
        BadSignature,
        /// <summary>A required claim is missing or of the wrong type.</summary>
        MissingClaim,
        /// <summary><c>iss</c> is not the expected issuer.</summary>
        WrongIssuer,
        /// <summary><c>aud</c> (or the license's product code) is not this product's code.</summary>
        WrongProduct,
        /// <summary>It is bound to another machine, or to none.</summary>
        WrongMachine,
        /// <summary>The license in it is not active.</summary>
        NotActive,
        /// <summary>Before its <c>nbf</c>.</summary>
        NotYetValid,
        /// <summary>Past its <c>exp</c>.</summary>
        Expired,
    }

    /// <summary>A verification's outcome: the verified file, or why not.</summary>
    public sealed class LicenseFileVerification
    {
        internal LicenseFileVerification(LicenseFile? file, LicenseFileFailure failure)
        {
            File = file;
            Failure = failure;
        }

        /// <summary>The file, when its signature and claims verified (it may still be <see cref="LicenseFileFailure.Expired"/>:
        /// then <see cref="File"/> is set and <see cref="IsValid"/> false).</summary>
        public LicenseFile? File { get; }
        /// <summary>Why it did not verify; <see cref="LicenseFileFailure.None"/> when it did.</summary>
        public LicenseFileFailure Failure { get; }
        /// <summary>True when it verified and is within <c>nbf</c>..<c>exp</c>.</summary>
        public bool IsValid => Failure == LicenseFileFailure.None;
    }

    /// <summary>
    /// Verifies a license file offline, as any verifier must: the compact JWS's header (<c>alg</c> EdDSA, <c>typ</c>
    /// license+jwt, a <c>kid</c> of the JWK Set), its Ed25519 signature (RFC 8032, in managed code), then its claims:
    /// <c>iss</c>, <c>aud</c> and the license's product code, the machine's fingerprint, the license's status, and
    /// <c>nbf</c>/<c>exp</c> against the time given.
    /// </summary>
    public static class LicenseFileVerifier
    {
        /// <summary>Verifies <paramref name="token"/> for this product and machine at <paramref name="now"/>.</summary>
        /// <param name="token">The compact JWS.</param>
        /// <param name="keys">The account's JWK Set.</param>
        /// <param name="issuer">The expected <c>iss</c>.</param>
        /// <param name="productCode">This software's product code: the expected <c>aud</c>.</param>
        /// <param name="fingerprint">This machine's fingerprint: the file must be bound to it.</param>
        /// <param name="now">The time to check <c>nbf</c> and <c>exp</c> at.</param>
        /// <param name="clockSkew">How far before <c>nbf</c> a file is accepted (the machine's clock a little behind the service's).</param>
        public static LicenseFileVerification Verify(string token, JsonWebKeySet keys, string issuer, string productCode, string fingerprint,
            DateTimeOffset now, TimeSpan clockSkew = default)
        {
            var signed = Signed(token, keys, out var kid, out var failure);
            if (signed is not { } claims) return new LicenseFileVerification(null, failure);
            LicenseFile file;
            try { file = new LicenseFile(token, kid, claims); }
            catch (Exception e) when (e is InvalidOperationException or KeyNotFoundException or FormatException or JsonException or ArgumentException)
            {
                return new LicenseFileVerification(null, LicenseFileFailure.MissingClaim);
            }
            if (!string.Equals(file.Issuer, issuer, StringComparison.Ordinal)) return new LicenseFileVerification(null, LicenseFileFailure.WrongIssuer);
            if (!string.Equals(file.Audience, productCode, StringComparison.Ordinal) ||
                !string.Equals(file.ProductCode, productCode, StringComparison.Ordinal))
                return new LicenseFileVerification(null, LicenseFileFailure.WrongProduct);
            if (!string.Equals(file.Fingerprint, fingerprint, StringComparison.Ordinal)) return new LicenseFileVerification(null, LicenseFileFailure.WrongMachine);
            if (file.Status != "active") return new LicenseFileVerification(null, LicenseFileFailure.NotActive);
            if (now + clockSkew < file.NotBefore) return new LicenseFileVerification(file, LicenseFileFailure.NotYetValid);
            if (now >= file.ExpiresAt) return new LicenseFileVerification(file, LicenseFileFailure.Expired);
            return new LicenseFileVerification(file, LicenseFileFailure.None);
        }

        /// <summary>The claims of a token whose header and signature verify, else null and why.</summary>
        private static JsonElement? Signed(string token, JsonWebKeySet keys, out string kid, out LicenseFileFailure failure)
        {
            kid = "";
            failure = LicenseFileFailure.Malformed;
            var parts = (token ?? "").Trim().Split('.');
            if (parts.Length != 3) return null;
            var headerBytes = Base64Url.TryDecode(parts[0]);
            var claimsBytes = Base64Url.TryDecode(parts[1]);
            var signature = Base64Url.TryDecode(parts[2]);
            if (headerBytes is null || claimsBytes is null || signature is null) return null;
            JsonElement header, claims;
            try
            {
                using (var h = JsonDocument.Parse(headerBytes)) header = h.RootElement.Clone();
                using (var c = JsonDocument.Parse(claimsBytes)) claims = c.RootElement.Clone();
            }
            catch (JsonException) { return null; }
            if (header.ValueKind != JsonValueKind.Object || claims.ValueKind != JsonValueKind.Object) return null;

            failure = LicenseFileFailure.UnsupportedHeader;
            if (Text(header, "alg") != "EdDSA" || Text(header, "typ") != "license+jwt" || header.TryGetProperty("crit", out _)) return null;
            kid = Text(header, "kid") ?? "";
            failure = LicenseFileFailure.UnknownKey;
            if (!keys.TryGetKey(kid, out var publicKey)) return null;

            failure = LicenseFileFailure.BadSignature;
            if (signature.Length != Ed25519.SignatureSize) return null;
            var message = Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]);
            if (!Ed25519.Verify(signature, 0, publicKey, 0, message, 0, message.Length)) return null;

            failure = LicenseFileFailure.None;
            return claims;
        }

        private static string? Text(JsonElement element, string name) =>
            element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
    }
}
