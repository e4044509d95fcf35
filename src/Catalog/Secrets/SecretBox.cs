using Catalog.Hosting;
using System.Security.Cryptography;
using System.Text;
using Catalog.Conventions;

namespace Catalog.Secrets;

/// <summary>
/// What the service keeps secret at rest (private signing keys, webhook secrets), sealed with
/// AES-256-GCM under the key-encryption key <c>Secrets:MasterKey</c> (base64 of 32 bytes), which lives in the
/// environment, never in the database. Each sealed value is bound to what it belongs to (its associated data), so a
/// sealed value copied into another row does not open there. Each names the key that sealed it (a key id, not
/// secret), so that the master key can be rotated: <c>Secrets:PreviousMasterKeys</c> still open what older keys
/// sealed until <c>secrets reseal</c> has sealed it all again under the current key (<see cref="Reseal"/>).
/// </summary>
public sealed class SecretBox
{
    public const string Setting = "Secrets:MasterKey";
    public const string PreviousSetting = "Secrets:PreviousMasterKeys";
    /// <summary>
    /// <c>v1.</c> values name no key (sealed before rotation existed): they are tried with every key. <c>v2.&lt;key id&gt;.</c>
    /// values name theirs.
    /// </summary>
    private const string V1 = "v1.", V2 = "v2.";
    private const int NonceSize = 12, TagSize = 16;

    private readonly MasterKey? _current;
    private readonly IReadOnlyList<MasterKey> _previous;
    private readonly string? _problem;

    public SecretBox(IConfiguration configuration)
    {
        (_current, _problem) = Read(configuration[Setting]);
        var (previous, problem) = ReadPrevious(configuration);
        _previous = previous;
        // A malformed previous key refuses the box as a malformed master key does: what it sealed would not open.
        _problem ??= problem;
        if (problem is not null) _current = null;
    }

    /// <summary>Why the master keys cannot be used, in one line, or null when they can.</summary>
    public static string? Problem(IConfiguration configuration) => Read(configuration[Setting]).Problem ?? ReadPrevious(configuration).Problem;

    /// <summary>The id of the current master key, which every value sealed now names: not secret, logged and printed freely.</summary>
    public string KeyId => Current.Id;

    /// <summary>
    /// <c>v2.</c>, the current key's id, a dot, then base64 of nonce, ciphertext and tag. A fresh random nonce each
    /// time: a 96-bit random nonce is safe for far more values than one key will ever seal here.
    /// </summary>
    public string Seal(ReadOnlySpan<byte> plaintext, string boundTo)
    {
        var key = Current;
        var sealedBytes = new byte[NonceSize + plaintext.Length + TagSize];
        var nonce = sealedBytes.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(key.Bytes, TagSize);
        aes.Encrypt(nonce, plaintext, sealedBytes.AsSpan(NonceSize, plaintext.Length), sealedBytes.AsSpan(NonceSize + plaintext.Length),
            Encoding.UTF8.GetBytes(boundTo));
        return V2 + key.Id + "." + Convert.ToBase64String(sealedBytes);
    }

    public string Seal(string plaintext, string boundTo) => Seal(Encoding.UTF8.GetBytes(plaintext), boundTo);

    /// <summary>The plaintext; a value sealed under a master key this node does not have, or for something else, throws.</summary>
    public byte[] Open(string sealedValue, string boundTo)
    {
        var (keyId, payload) = Parse(sealedValue);
        byte[] sealedBytes;
        try
        {
            sealedBytes = Convert.FromBase64String(payload);
        }
        catch (FormatException e)
        {
            throw new CryptographicException($"The sealed {boundTo} is damaged.", e);
        }
        if (sealedBytes.Length < NonceSize + TagSize) throw new CryptographicException("A sealed value too short to be one.");

        // The key it names; one without a name (v1) may be under any of them, most likely the current one.
        var candidates = keyId is null ? Keys : Keys.Where(x => x.Id == keyId).Take(1).ToList();
        if (candidates.Count == 0)
            throw new CryptographicException(
                $"The sealed {boundTo} was sealed under master key {keyId}, which is neither {Setting} nor one of {PreviousSetting}.");
        foreach (var key in candidates)
            if (TryOpen(key, sealedBytes, boundTo) is { } plaintext) return plaintext;
        // What an operator needs to read in the log: the usual cause is a master key that changed.
        throw new CryptographicException($"The sealed {boundTo} does not open: it was sealed under another {Setting}, or altered.");
    }

    public string OpenText(string sealedValue, string boundTo) => Encoding.UTF8.GetString(Open(sealedValue, boundTo));

    /// <summary>What every value sealed under the current master key begins with.</summary>
    public string CurrentPrefix => V2 + Current.Id + ".";

    /// <summary>Whether the value is sealed under the current master key, and so needs no reseal.</summary>
    public bool IsSealedUnderCurrentKey(string sealedValue) => sealedValue.StartsWith(CurrentPrefix, StringComparison.Ordinal);

    /// <summary>The same value sealed again under the current master key, for the same thing; one already under it is returned as is.</summary>
    public string Reseal(string sealedValue, string boundTo)
    {
        if (IsSealedUnderCurrentKey(sealedValue)) return sealedValue;
        var plaintext = Open(sealedValue, boundTo);
        try
        {
            return Seal(plaintext, boundTo);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    /// <summary>For commands that will need the key: refuse before doing anything rather than halfway.</summary>
    public void MustBeSet() => _ = Current;

    public static bool IsSealed(string value) =>
        value.StartsWith(V1, StringComparison.Ordinal) || value.StartsWith(V2, StringComparison.Ordinal);

    /// <summary>What a sealed value begins with, whichever key sealed it: how a sealed answer is told from a JSON one.</summary>
    public static readonly string[] Prefixes = [V1, V2];

    /// <summary>The id of a master key: the first 8 bytes of a SHA-256 of it, domain-separated, in hex. It names the key and tells nothing of it.</summary>
    public static string IdOf(ReadOnlySpan<byte> key)
    {
        var input = new byte[KeyIdDomain.Length + key.Length];
        KeyIdDomain.CopyTo(input);
        key.CopyTo(input.AsSpan(KeyIdDomain.Length));
        return Convert.ToHexStringLower(SHA256.HashData(input).AsSpan(0, 8));
    }

    private static ReadOnlySpan<byte> KeyIdDomain => "catalog master key id\0"u8;

    private MasterKey Current => _current ?? throw new MasterKeyMissingException(_problem!);

    /// <summary>The current key first: it is the one nearly every value is under.</summary>
    private List<MasterKey> Keys => [Current, .. _previous];

    private static (string? KeyId, string Payload) Parse(string sealedValue)
    {
        if (sealedValue.StartsWith(V1, StringComparison.Ordinal)) return (null, sealedValue[V1.Length..]);
        if (sealedValue.StartsWith(V2, StringComparison.Ordinal) && sealedValue.IndexOf('.', V2.Length) is var dot and > 0)
            return (sealedValue[V2.Length..dot], sealedValue[(dot + 1)..]);
        throw new CryptographicException("Not a sealed value.");
    }

    private static byte[]? TryOpen(MasterKey key, byte[] sealedBytes, string boundTo)
    {
        var plaintext = new byte[sealedBytes.Length - NonceSize - TagSize];
        using var aes = new AesGcm(key.Bytes, TagSize);
        try
        {
            aes.Decrypt(sealedBytes.AsSpan(0, NonceSize), sealedBytes.AsSpan(NonceSize, plaintext.Length), sealedBytes.AsSpan(^TagSize),
                plaintext, Encoding.UTF8.GetBytes(boundTo));
            return plaintext;
        }
        catch (AuthenticationTagMismatchException)
        {
            return null;
        }
    }

    private static (MasterKey? Key, string? Problem) Read(string? setting)
    {
        if (string.IsNullOrWhiteSpace(setting))
            return (null, $"{Setting} is not set (Secrets__MasterKey in the environment): give it the base64 of 32 random bytes, e.g. `openssl rand -base64 32`");
        return Parse32(setting) is { } key ? (key, null) : (null, $"{Setting} must be the base64 of exactly 32 bytes, e.g. `openssl rand -base64 32`");
    }

    /// <summary>
    /// The keys of <c>Secrets:PreviousMasterKeys</c>: an array (<c>:0</c>, <c>:1</c>, ...) or one comma-separated
    /// value (base64 has no commas), as an environment variable gives it most easily.
    /// </summary>
    private static (IReadOnlyList<MasterKey> Keys, string? Problem) ReadPrevious(IConfiguration configuration)
    {
        var section = configuration.GetSection(PreviousSetting);
        var values = new[] { section.Value }.Concat(section.GetChildren().Select(x => x.Value))
            .SelectMany(x => (x ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        var keys = new List<MasterKey>();
        foreach (var value in values)
        {
            if (Parse32(value) is not { } key)
                return ([], $"{PreviousSetting} must list base64 values of exactly 32 bytes each (an array, or separated by commas)");
            if (keys.All(x => x.Id != key.Id)) keys.Add(key);
        }
        return (keys, null);
    }

    private static MasterKey? Parse32(string value)
    {
        try
        {
            var key = Convert.FromBase64String(value.Trim());
            if (key.Length == 32) return new MasterKey(key, IdOf(key));
        }
        catch (FormatException) { }
        return null;
    }

    private sealed record MasterKey(byte[] Bytes, string Id);
}

/// <summary>The master key was needed and is missing or malformed; the message is one line saying which setting.</summary>
public sealed class MasterKeyMissingException(string message) : AdministrationException(message);

/// <summary>
/// A value sealed under the master key the first time the database met one. A service (before messaging and the
/// event feeds start: <see cref="DatabaseServices"/>) or command started with another key is refused before it
/// signs or seals anything: what it sealed, nobody else could open, and what was sealed before, it could not open.
/// A node whose current key is new but which has the check's key among <c>Secrets:PreviousMasterKeys</c> is a rotation
/// in progress, and is accepted.
/// </summary>
public sealed record MasterKeyCheck(string Id, string Sealed)
{
    public const string TheOne = "master-key";
    public const string BoundTo = "master-key-check";

    public static async Task Verify(IDirectoryStore store, SecretBox secrets, CancellationToken token = default)
    {
        for (var attempt = 1; ; attempt++)
        {
            await using var session = store.LightweightSession();
            if (await session.LoadAsync<MasterKeyCheck>(TheOne, token) is { } check)
            {
                try
                {
                    // Opened with a previous key (a rotation in progress), it stays as it is: only `secrets reseal`
                    // seals it under the new key, last, once every other value is. Resealing it at a node's start
                    // would refuse the nodes not yet given the new key while values they can open remain under the old.
                    secrets.Open(check.Sealed, BoundTo);
                    return;
                }
                catch (CryptographicException)
                {
                    throw new MasterKeyMissingException(
                        $"{SecretBox.Setting} is not the key this database's secrets were sealed with, nor is any of {SecretBox.PreviousSetting}: start with that key");
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

    /// <summary>
    /// Seals the check again under the current master key, if it is under another: from then on a node without the
    /// current key is refused. Only while the value read is still the one there. True when it was resealed.
    /// </summary>
    public static async Task<bool> Reseal(IDirectoryStore store, SecretBox secrets, CancellationToken token = default)
    {
        await using var query = store.QuerySession();
        if (await query.LoadAsync<MasterKeyCheck>(TheOne, token) is not { } check || secrets.IsSealedUnderCurrentKey(check.Sealed)) return false;
        return await SealedValues.Replace(store.Storage.Database, Table, TheOne, nameof(Sealed), check.Sealed,
            secrets.Reseal(check.Sealed, BoundTo), token);
    }

    private const string Table = $"{Database.Schema}.mt_doc_masterkeycheck";
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
        // A node with another master key than the database's takes no message and no feed, whose secrets it could not open.
        services.AddSingleton<StartCheck>(provider => token =>
            MasterKeyCheck.Verify(provider.GetRequiredService<IDirectoryStore>(), provider.GetRequiredService<SecretBox>(), token));
        services.AddHostedService<MasterKeyRequired>();
        return services;
    }
}
