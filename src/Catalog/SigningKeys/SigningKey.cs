using Catalog.Secrets;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using NSec.Cryptography;

namespace Catalog.SigningKeys;

/// <summary>
/// One Ed25519 key pair of an account, which signs its license files. The id is the key's <c>kid</c>, its RFC 7638
/// JWK thumbprint: derived from the public key, so unique across the service and checkable by anyone holding the
/// key. The private key is stored sealed under the master key (<see cref="SecretBox"/>), bound to the kid; retiring
/// a key erases it. <see cref="Generation"/> (1, 2, ... per account, unique) orders the keys: the newest that is not
/// retired signs, and two nodes making an account's first key at once cannot both succeed.
/// </summary>
public sealed record SigningKey(
    string Id,
    Guid AccountId,
    int Generation,
    string PublicKey,
    string? SealedPrivateKey,
    DateTimeOffset CreatedAt,
    DateTimeOffset? RetiredAt)
{
    public bool IsRetired => RetiredAt is not null;

    /// <summary>What the sealed private key is bound to (its account and kid): copied to another row, it does not open.</summary>
    public static string SealedFor(Guid accountId, string kid) => $"signing-key:{accountId}:{kid}";

    /// <summary>
    /// A new key pair; the private half leaves this method sealed only. One whose kid would begin with '-' (1 in 64)
    /// is drawn again: operators type kids on the command line, which would read it as an option.
    /// </summary>
    public static SigningKey Create(Guid accountId, int generation, SecretBox secrets, DateTimeOffset now)
    {
        while (true)
        {
            using var key = Key.Create(SignatureAlgorithm.Ed25519, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport });
            var x = Base64Url.EncodeToString(key.PublicKey.Export(KeyBlobFormat.RawPublicKey));
            var kid = Jwk.Thumbprint(x);
            if (kid.StartsWith('-')) continue;

            var privateKey = key.Export(KeyBlobFormat.RawPrivateKey);
            try
            {
                return new SigningKey(kid, accountId, generation, x, secrets.Seal(privateKey, SealedFor(accountId, kid)), now, null);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(privateKey);
            }
        }
    }

    /// <summary>The Ed25519 signature of <paramref name="data"/> with this key's private half.</summary>
    public byte[] Sign(ReadOnlySpan<byte> data, SecretBox secrets)
    {
        var privateKey = secrets.Open(SealedPrivateKey ?? throw new InvalidOperationException($"Signing key {Id} is retired"), SealedFor(AccountId, Id));
        try
        {
            using var key = Key.Import(SignatureAlgorithm.Ed25519, privateKey, KeyBlobFormat.RawPrivateKey);
            return SignatureAlgorithm.Ed25519.Sign(key, data);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(privateKey);
        }
    }

    public Jwk ToJwk() => new("OKP", "Ed25519", PublicKey, Id, "EdDSA", "sig");
}

/// <summary>An Ed25519 public key as RFC 8037 writes it in a JWK (RFC 7517).</summary>
public sealed record Jwk(string Kty, string Crv, string X, string Kid, string Alg, string Use)
{
    /// <summary>
    /// RFC 7638: the SHA-256 of the required members in lexicographic order without spaces, base64url. For an OKP
    /// key they are crv, kty and x.
    /// </summary>
    public static string Thumbprint(string x) =>
        Base64Url.EncodeToString(SHA256.HashData(Encoding.UTF8.GetBytes($$"""{"crv":"Ed25519","kty":"OKP","x":{{JsonSerializer.Serialize(x)}}}""")));
}

/// <summary>An RFC 7517 JWK Set: <c>{"keys": [...]}</c>.</summary>
public sealed record JwkSet(IReadOnlyList<Jwk> Keys);

/// <summary>
/// A JWS in compact serialization (RFC 7515), signed with EdDSA (RFC 8037): the JOSE framing only, the signature
/// is NSec's (libsodium's) Ed25519.
/// </summary>
public static class CompactJws
{
    public static string Sign(SigningKey key, string type, object payload, JsonSerializerOptions json, SecretBox secrets)
    {
        // Written as is: the kid is base64url and the type a constant, so nothing needs escaping (a serializer
        // would write the '+' of "license+jwt" as \u002B, valid but not what anyone expects to read).
        var header = Base64Url.EncodeToString(Encoding.UTF8.GetBytes($$"""{"alg":"EdDSA","kid":"{{key.Id}}","typ":"{{type}}"}"""));
        var signingInput = header + "." + Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(payload, json));
        return signingInput + "." + Base64Url.EncodeToString(key.Sign(Encoding.ASCII.GetBytes(signingInput), secrets));
    }
}
