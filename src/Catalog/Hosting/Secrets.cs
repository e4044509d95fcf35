using System.Security.Cryptography;
using System.Text;
using Catalog.Conventions;
using Marten;
using Npgsql;

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
        byte[] sealedBytes;
        try
        {
            sealedBytes = Convert.FromBase64String(sealedValue[Version.Length..]);
        }
        catch (FormatException e)
        {
            throw new CryptographicException($"The sealed {boundTo} is damaged.", e);
        }
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

/// <summary>
/// A value sealed under the master key the first time the database met one. A service (before messaging and the
/// event feeds start: <see cref="DatabaseServices"/>) or command started with another key is refused before it
/// signs or seals anything: what it sealed, nobody else could open, and what was sealed before, it could not open.
/// </summary>
public sealed record MasterKeyCheck(string Id, string Sealed)
{
    public const string TheOne = "master-key";
    private const string BoundTo = "master-key-check";

    public static async Task Verify(IDirectoryStore store, SecretBox secrets, CancellationToken token = default)
    {
        for (var attempt = 1; ; attempt++)
        {
            await using var session = store.LightweightSession();
            if (await session.LoadAsync<MasterKeyCheck>(TheOne, token) is { } check)
            {
                try
                {
                    secrets.Open(check.Sealed, BoundTo);
                    return;
                }
                catch (CryptographicException)
                {
                    throw new MasterKeyMissingException(
                        $"{SecretBox.Setting} is not the key this database's secrets were sealed with: start with that key");
                }
            }

            session.Insert(new MasterKeyCheck(TheOne, secrets.Seal("catalog"u8, BoundTo)));
            try
            {
                await session.SaveChangesAsync(token);
                return;
            }
            catch (Exception e) when (attempt < 3 && (e is JasperFx.DocumentAlreadyExistsException
                                                      || e.Find<PostgresException>() is { SqlState: PostgresErrorCodes.UniqueViolation }))
            {
                // Another node put its check first: compare with that one.
            }
        }
    }
}

/// <summary>The web host does not start without a usable master key, however it was started (no arguments, <c>run</c>, <c>--urls</c>).</summary>
public sealed class MasterKeyRequired(SecretBox secrets) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        secrets.MustBeSet();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

public static class SecretsConfiguration
{
    public static StoreOptions ConfigureSecrets(this StoreOptions options)
    {
        options.Schema.For<MasterKeyCheck>().SingleTenanted();
        return options;
    }

    public static IServiceCollection AddSecrets(this IServiceCollection services)
    {
        services.AddSingleton<SecretBox>();
        services.AddHostedService<MasterKeyRequired>();
        return services;
    }
}
