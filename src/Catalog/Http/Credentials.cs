using Catalog.Conventions;
using Microsoft.Extensions.Caching.Memory;

namespace Catalog.Http;

/// <summary>A credential this node remembers as valid: whose bucket its requests draw from, before any lookup.</summary>
public sealed record RecognisedCredential(string Id, Guid AccountId, bool IsLicenseKey);

/// <summary>
/// Recognises the credential a request presents from memory alone, with no round trip: the rate limiter runs before
/// authentication and must know whose bucket a request is, so that a request whose credential this node does not
/// remember as valid (none, malformed, unknown, revoked, or not yet looked up) draws from its client address's bucket
/// before it can cost a lookup. Each credential's directory (API keys, license keys) is one.
/// </summary>
public interface ICredentialRecognition
{
    RecognisedCredential? Recognise(HttpRequest request);
}

/// <summary>
/// What the credential directories remember, found or not found, bounded in entries (and so in memory: each entry is
/// a hash or key and a small record): a flood of made-up credentials fills it with cheap "unknown" entries, which go
/// first when it is full, and never makes it grow. API keys and license keys are remembered apart, each up to
/// <see cref="Capacity"/>: one vendor's hundred thousand license keys in use cannot push the API keys of every vendor
/// out of memory. Its own caches, so that no other cache's entries need a size.
/// </summary>
public sealed class CredentialCache : IDisposable
{
    public const string Setting = "RateLimit:RememberedCredentials";

    public CredentialCache(IConfiguration configuration)
    {
        Capacity = configuration.GetValue(Setting, 100_000);
        if (Capacity < 1) throw new InvalidOperationException($"{Setting} must be at least 1");
        ApiKeys = new CredentialMemory(Capacity, CacheItemPriority.High);
        LicenseKeys = new CredentialMemory(Capacity, CacheItemPriority.Normal);
    }

    /// <summary>At most this many API keys, and as many license keys, are remembered at once (<c>RateLimit:RememberedCredentials</c>, default 100,000).</summary>
    public int Capacity { get; }

    public CredentialMemory ApiKeys { get; }
    public CredentialMemory LicenseKeys { get; }

    /// <summary>How many entries are remembered now, of both kinds.</summary>
    public int Count => ApiKeys.Count + LicenseKeys.Count;

    public void Dispose()
    {
        ApiKeys.Dispose();
        LicenseKeys.Dispose();
    }
}

/// <summary>One kind of credential's memory: what a lookup found (or that it found nothing), and which are valid.</summary>
public sealed class CredentialMemory(int capacity, CacheItemPriority valid) : IDisposable
{
    private readonly MemoryCache _cache = new(new MemoryCacheOptions { SizeLimit = capacity, CompactionPercentage = 0.1 });

    public bool TryGet<T>(string key, out T? value) => _cache.TryGetValue(key, out value);

    /// <summary>Remembers for <paramref name="lifetime"/>; what was not found is dropped first when the memory is full.</summary>
    public void Set<T>(string key, T? value, TimeSpan lifetime) where T : class =>
        _cache.Set(key, value, new MemoryCacheEntryOptions
        {
            AbsoluteExpirationRelativeToNow = lifetime,
            Size = 1,
            Priority = value is null ? CacheItemPriority.Low : valid
        });

    /// <summary>
    /// How long a credential found valid keeps its own buckets without another lookup. Only the rate limiter's choice of
    /// bucket rests on it, never authentication (a revoked key is still refused within 2 seconds): a key in steady use
    /// never waits behind its address's bucket, which only keys this node has not seen lately, or made-up ones, draw from.
    /// </summary>
    public static readonly TimeSpan RecognisedFor = TimeSpan.FromMinutes(10);

    /// <summary>Remembers what a lookup found for the rate limiter: a valid credential, or that there is none.</summary>
    public void Recognise(string key, RecognisedCredential? found)
    {
        if (found is null) _cache.Remove("recognised:" + key);
        else Set("recognised:" + key, found, RecognisedFor);
    }

    public RecognisedCredential? Recognised(string key) => TryGet("recognised:" + key, out RecognisedCredential? found) ? found : null;

    /// <summary>How many entries are remembered now.</summary>
    public int Count => _cache.Count;

    public void Dispose() => _cache.Dispose();
}
