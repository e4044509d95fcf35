using Microsoft.Extensions.Caching.Memory;

namespace Catalog.Http;

/// <summary>A credential this node remembers as valid: whose bucket its requests draw from, before any lookup.</summary>
public sealed record RecognisedCredential(string Id, Guid AccountId, bool IsLicenseKey);

/// <summary>Recognises a request's credential from memory alone, for the rate limiter's choice of bucket.</summary>
public interface ICredentialRecognition
{
    RecognisedCredential? Recognise(HttpRequest request);
}

/// <summary>
/// What lookups of credentials found, or that they found nothing, in size-limited memory caches: made-up keys fill it
/// with "unknown" entries that go first. API keys and license keys apart, so one vendor's licenses cannot push every
/// vendor's API keys out.
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

    /// <summary>How long a valid credential keeps its own bucket without a lookup (only the bucket: never authentication).</summary>
    public static readonly TimeSpan RecognisedFor = TimeSpan.FromMinutes(10);

    /// <summary>Remembers what a lookup found for the rate limiter: a valid credential, or that there is none.</summary>
    public void Recognise(string key, RecognisedCredential? found)
    {
        if (found is null) _cache.Remove("recognised:" + key);
        else Set("recognised:" + key, found, RecognisedFor);
    }

    public RecognisedCredential? Recognised(string key) => TryGet("recognised:" + key, out RecognisedCredential? found) ? found : null;

    public int Count => _cache.Count;

    public void Dispose() => _cache.Dispose();
}
