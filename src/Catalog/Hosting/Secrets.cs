using System.Security.Cryptography;
using System.Text;

namespace Catalog.Hosting;

/// <summary>
/// What the service keeps secret at rest (private signing keys, webhook secrets), sealed with AES-256-GCM under
/// the key-encryption key <c>Secrets:MasterKey</c> (base64 of 32 bytes), which lives in the environment, never in
/// the database. Each sealed value is bound to what it belongs to (its associated data), so a sealed value copied
/// into another row does not open there.
/// </summary>
public sealed class SecretBox
{
    public const string Setting = "Secrets:MasterKey";
    private const string Version = "v1.";
    private const int NonceSize = 12, TagSize = 16;

    private readonly byte[]? _key;
    private readonly string? _problem;

    public SecretBox(IConfiguration configuration) => (_key, _problem) = Read(configuration[Setting]);

    /// <summary>Why the master key cannot be used, in one line, or null when it can.</summary>
    public static string? Problem(IConfiguration configuration) => Read(configuration[Setting]).Problem;

    /// <summary>
    /// <c>v1.</c> then base64 of nonce, ciphertext and tag. A fresh random nonce each time: a 96-bit random nonce
    /// is safe for far more values than one key will ever seal here.
    /// </summary>
    public string Seal(ReadOnlySpan<byte> plaintext, string boundTo)
    {
        var sealedBytes = new byte[NonceSize + plaintext.Length + TagSize];
        var nonce = sealedBytes.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(Key, TagSize);
        aes.Encrypt(nonce, plaintext, sealedBytes.AsSpan(NonceSize, plaintext.Length), sealedBytes.AsSpan(NonceSize + plaintext.Length),
            Encoding.UTF8.GetBytes(boundTo));
        return Version + Convert.ToBase64String(sealedBytes);
    }

    public string Seal(string plaintext, string boundTo) => Seal(Encoding.UTF8.GetBytes(plaintext), boundTo);

    /// <summary>The plaintext; a value sealed under another master key, or for something else, throws.</summary>
    public byte[] Open(string sealedValue, string boundTo)
    {
        if (!IsSealed(sealedValue)) throw new CryptographicException("Not a sealed value.");
        var sealedBytes = Convert.FromBase64String(sealedValue[Version.Length..]);
        if (sealedBytes.Length < NonceSize + TagSize) throw new CryptographicException("A sealed value too short to be one.");
        var plaintext = new byte[sealedBytes.Length - NonceSize - TagSize];
        using var aes = new AesGcm(Key, TagSize);
        try
        {
            aes.Decrypt(sealedBytes.AsSpan(0, NonceSize), sealedBytes.AsSpan(NonceSize, plaintext.Length), sealedBytes.AsSpan(^TagSize),
                plaintext, Encoding.UTF8.GetBytes(boundTo));
        }
        catch (AuthenticationTagMismatchException e)
        {
            // What an operator needs to read in the log: the usual cause is a master key that changed.
            throw new CryptographicException($"The sealed {boundTo} does not open: it was sealed under another {Setting}, or altered.", e);
        }
        return plaintext;
    }

    public string OpenText(string sealedValue, string boundTo) => Encoding.UTF8.GetString(Open(sealedValue, boundTo));

    /// <summary>For commands that will need the key: refuse before doing anything rather than halfway.</summary>
    public void MustBeSet() => _ = Key;

    public static bool IsSealed(string value) => value.StartsWith(Version, StringComparison.Ordinal);

    private byte[] Key => _key ?? throw new MasterKeyMissingException(_problem!);

    private static (byte[]? Key, string? Problem) Read(string? setting)
    {
        if (string.IsNullOrWhiteSpace(setting))
            return (null, $"{Setting} is not set (Secrets__MasterKey in the environment): give it the base64 of 32 random bytes, e.g. `openssl rand -base64 32`");
        try
        {
            var key = Convert.FromBase64String(setting.Trim());
            if (key.Length == 32) return (key, null);
        }
        catch (FormatException) { }
        return (null, $"{Setting} must be the base64 of exactly 32 bytes, e.g. `openssl rand -base64 32`");
    }
}

/// <summary>The master key was needed and is missing or malformed; the message is one line saying which setting.</summary>
public sealed class MasterKeyMissingException(string message) : Exception(message);

public static class SecretsConfiguration
{
    public static IServiceCollection AddSecrets(this IServiceCollection services)
    {
        services.AddSingleton<SecretBox>();
        return services;
    }
}
