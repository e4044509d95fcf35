using System;
using System.Collections.Generic;
using System.Text.Json;

namespace Catalog.Licensing
{
    /// <summary>An account's public signing keys: an RFC 7517 JWK Set of Ed25519 keys (RFC 8037), by <c>kid</c>.</summary>
    public sealed class JsonWebKeySet
    {
        private readonly Dictionary<string, byte[]> _keys;

        private JsonWebKeySet(string json, Dictionary<string, byte[]> keys)
        {
            Json = json;
            _keys = keys;
        }

        /// <summary>The set's JSON, as it was read.</summary>
        public string Json { get; }

        /// <summary>The ids of its Ed25519 signing keys.</summary>
        public IEnumerable<string> Kids => _keys.Keys;

        /// <summary>Reads a JWK Set, keeping its Ed25519 keys for signatures (<c>kty</c> OKP, <c>crv</c> Ed25519, 32-byte
        /// <c>x</c>; <c>use</c> absent or <c>sig</c>; <c>alg</c> absent or <c>EdDSA</c>); null when the text is not a JWK Set.</summary>
        public static JsonWebKeySet? TryParse(string? json)
        {
            if (string.IsNullOrWhiteSpace(json)) return null;
            try
            {
                using var document = JsonDocument.Parse(json!);
                if (document.RootElement.ValueKind != JsonValueKind.Object ||
                    !document.RootElement.TryGetProperty("keys", out var keys) || keys.ValueKind != JsonValueKind.Array) return null;
                var found = new Dictionary<string, byte[]>(StringComparer.Ordinal);
                foreach (var key in keys.EnumerateArray())
                {
                    if (key.ValueKind != JsonValueKind.Object) continue;
                    if (Text(key, "kty") != "OKP" || Text(key, "crv") != "Ed25519") continue;
                    if (Text(key, "use") is { } use && use != "sig") continue;
                    if (Text(key, "alg") is { } alg && alg != "EdDSA") continue;
                    if (Text(key, "kid") is not { Length: > 0 } kid || Text(key, "x") is not { } x) continue;
                    if (Base64Url.TryDecode(x) is { Length: 32 } publicKey) found[kid] = publicKey;
                }
                return new JsonWebKeySet(json!, found);
            }
            catch (JsonException)
            {
                return null;
            }
        }

        /// <summary>The public key with that id.</summary>
        public bool TryGetKey(string kid, out byte[] publicKey)
        {
            if (_keys.TryGetValue(kid, out var key))
            {
                publicKey = key;
                return true;
            }
            publicKey = Array.Empty<byte>();
            return false;
        }

        private static string? Text(JsonElement element, string name) =>
            element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
    }
}
