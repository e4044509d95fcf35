using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Caching.Memory;

namespace Catalog.Http;

/// <summary>A credential this node remembers as valid: whose bucket its requests draw from, before any lookup.</summary>
public sealed record RecognisedCredential(string Id, Guid AccountId, bool IsLicenseKey);

/// <summary>
/// A kind of credential a request may present: an API key (Accounts/), a license key (Licenses/). Each slice adds its
/// own; the edge's one authentication scheme (<see cref="CredentialAuthentication"/>) and the rate limiter ask them.
/// Kinds never both see themselves presented in one request.
/// </summary>
public interface ICredentialKind
{
    /// <summary>Whether the request presents this kind of credential, well formed or not.</summary>
    bool IsPresentedIn(HttpRequest request);

    /// <summary>The presented credential, if this node remembers it as valid: from memory alone, for the rate limiter's bucket.</summary>
    RecognisedCredential? Recognise(HttpRequest request);

    /// <summary>The principal of a valid credential, or a failure saying why (<see cref="CredentialAuthentication.Fail"/>).</summary>
    ValueTask<AuthenticateResult> AuthenticateAsync(HttpContext context);
}

/// <summary>The kinds of credential the slices added, asked in turn.</summary>
public sealed class CredentialKinds(IEnumerable<ICredentialKind> kinds)
{
    private readonly ICredentialKind[] _kinds = kinds.ToArray();

    /// <summary>The kind of credential the request presents, or null when it presents none.</summary>
    public ICredentialKind? PresentedIn(HttpRequest request)
    {
        foreach (var kind in _kinds)
            if (kind.IsPresentedIn(request)) return kind;
        return null;
    }
}

/// <summary>
/// The one authentication scheme: the request's credential, whichever kind it is, read by the kind that sees it
/// presented. One handler per request, with nothing of ASP.NET's handler base (options, events, a logger made per
/// request) or a policy scheme forwarding to a second handler: that machinery was ≈7% of a read's CPU
/// (bench/README.md). 401 and 403 are written by the authorization step (Accounts/), which knows what an endpoint takes.
/// </summary>
public sealed class CredentialAuthentication(CredentialKinds kinds) : IAuthenticationHandler
{
    public const string Scheme = "Credential";

    /// <summary>Where a failed authentication leaves its reason, for the 401 that says it.</summary>
    public const string FailureKey = "catalog.authentication-failure";

    private HttpContext _context = null!;
    private Task<AuthenticateResult>? _result;

    public Task InitializeAsync(AuthenticationScheme scheme, HttpContext context)
    {
        _context = context;
        return Task.CompletedTask;
    }

    /// <summary>Once per request, however often asked.</summary>
    public Task<AuthenticateResult> AuthenticateAsync() => _result ??= Authenticate();

    private Task<AuthenticateResult> Authenticate() =>
        kinds.PresentedIn(_context.Request) is { } kind ? kind.AuthenticateAsync(_context).AsTask() : Task.FromResult(AuthenticateResult.NoResult());

    public Task ChallengeAsync(AuthenticationProperties? properties)
    {
        _context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        return Task.CompletedTask;
    }

    public Task ForbidAsync(AuthenticationProperties? properties)
    {
        _context.Response.StatusCode = StatusCodes.Status403Forbidden;
        return Task.CompletedTask;
    }

    /// <summary>Fails authentication, keeping the reason for the 401 that the authorization step writes.</summary>
    public static AuthenticateResult Fail(HttpContext context, string reason)
    {
        context.Items[FailureKey] = reason;
        return AuthenticateResult.Fail(reason);
    }

    /// <summary>A principal of these claims, named by <paramref name="nameClaim"/>: the ticket of a valid credential.</summary>
    public static AuthenticateResult Success(string kind, System.Security.Claims.Claim[] claims, string nameClaim) =>
        AuthenticateResult.Success(new AuthenticationTicket(
            new System.Security.Claims.ClaimsPrincipal(new System.Security.Claims.ClaimsIdentity(claims, kind, nameClaim, null)), kind));
}

public static class CredentialAuthenticationRegistration
{
    /// <summary>The one scheme, the default for every request; the slices add their <see cref="ICredentialKind"/>.</summary>
    public static AuthenticationBuilder AddCredentialAuthentication(this IServiceCollection services)
    {
        services.AddSingleton<CredentialKinds>();
        services.AddTransient<CredentialAuthentication>(); // made by the container's compiled factory, not by reflection per request
        return services.AddAuthentication(options =>
        {
            options.AddScheme<CredentialAuthentication>(CredentialAuthentication.Scheme, null);
            options.DefaultScheme = CredentialAuthentication.Scheme;
        });
    }
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
