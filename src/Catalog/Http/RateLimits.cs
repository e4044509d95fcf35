using System.Globalization;
using System.Threading.RateLimiting;
using Catalog.Conventions;
using System.Net;
using Microsoft.AspNetCore.HttpOverrides;

namespace Catalog.Http;

/// <summary>Configuration section <c>RateLimit</c>: the buckets of <see cref="RateLimits"/>.</summary>
public sealed class RateLimitSettings
{
    public int PermitsPerSecond { get; set; } = 100;
    public int Burst { get; set; } = 200;
    public int AnonymousPermitsPerSecond { get; set; } = 20;
    public int AnonymousBurst { get; set; } = 40;
    /// <summary>Per license key, on the client endpoints.</summary>
    public int ClientPermitsPerSecond { get; set; } = 10;
    public int ClientBurst { get; set; } = 20;
    /// <summary>Per account, all its license keys together: 10,000 licenses must not mean 100,000 requests a second.</summary>
    public int ClientAccountPermitsPerSecond { get; set; } = 500;
    public int ClientAccountBurst { get; set; } = 1000;
}

/// <summary>
/// A token bucket per API key, per license key, per account for all its license keys together, and per client address
/// for requests without a credential this node remembers as valid (<see cref="ICredentialKind.Recognise"/>): the limiter
/// runs before authentication, so a flood of made-up keys is bounded before it costs a lookup. Buckets live in the
/// node's memory: limits are per node. Health and docs are never limited.
/// </summary>
public static class RateLimits
{
    public static IServiceCollection AddApiKeyRateLimits(this IServiceCollection services, IConfiguration configuration)
    {
        var settings = configuration.GetSection("RateLimit").Get<RateLimitSettings>() ?? new RateLimitSettings();
        if (settings.PermitsPerSecond < 1 || settings.Burst < 1 || settings.AnonymousPermitsPerSecond < 1 || settings.AnonymousBurst < 1
            || settings.ClientPermitsPerSecond < 1 || settings.ClientBurst < 1
            || settings.ClientAccountPermitsPerSecond < 1 || settings.ClientAccountBurst < 1)
            throw new InvalidOperationException("RateLimit: every PermitsPerSecond and Burst must be at least 1");

        services.Configure<ForwardedHeadersOptions>(options =>
        {
            // Only the proxies named: ASP.NET Core would believe any loopback address (and everyone, with both lists empty).
            options.ForwardedHeaders = ForwardedHeaders.XForwardedFor;
            options.KnownProxies.Clear();
            options.KnownIPNetworks.Clear();
            foreach (var proxy in KnownProxies(configuration)) options.KnownProxies.Add(IPAddress.Parse(proxy));
        });

        // The license keys of one account, together: a second limiter every client request passes as well.
        var accounts = PartitionedRateLimiter.Create<HttpContext, string>(context =>
            Recognised(context) is { IsLicenseKey: true } license
                ? RateLimitPartition.GetTokenBucketLimiter("account:" + license.AccountId,
                    _ => Bucket(settings.ClientAccountPermitsPerSecond, settings.ClientAccountBurst))
                : RateLimitPartition.GetNoLimiter(""));

        services.AddRateLimiter(options =>
        {
            options.GlobalLimiter = PartitionedRateLimiter.CreateChained(
                PartitionedRateLimiter.Create<HttpContext, string>(context =>
                {
                    var bucket = BucketOf(context, settings);
                    return RateLimitPartition.GetTokenBucketLimiter(bucket.Partition, _ => Bucket(bucket.PerSecond, bucket.Burst));
                }),
                accounts);

            options.OnRejected = async (rejected, token) =>
            {
                var context = rejected.HttpContext;
                var (_, perSecond, burst, holder) = accounts.GetStatistics(context) is { CurrentAvailablePermits: <= 0 }
                    ? ("", settings.ClientAccountPermitsPerSecond, settings.ClientAccountBurst, "This account's license keys together")
                    : BucketOf(context, settings);
                var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait)
                    ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds))
                    : 1;
                var seconds = retryAfter.ToString(CultureInfo.InvariantCulture);
                context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
                context.Response.Headers.RetryAfter = seconds;
                context.Response.Headers["RateLimit-Limit"] = burst.ToString(CultureInfo.InvariantCulture);
                context.Response.Headers["RateLimit-Remaining"] = "0";
                context.Response.Headers["RateLimit-Reset"] = seconds;
                var problems = context.RequestServices.GetRequiredService<IProblemDetailsService>();
                await problems.WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = context,
                    ProblemDetails = Problems.Status(429, holder +
                        $" is over its limit of {perSecond} requests per second (bursts of {burst}); retry after {seconds} s.")
                });
            };
        });
        return services;
    }

    /// <summary>The request's credential if this node remembers it as valid, asked once per request.</summary>
    private static RecognisedCredential? Recognised(HttpContext context)
    {
        if (context.Items.TryGetValue(typeof(RecognisedCredential), out var known)) return known as RecognisedCredential;
        var recognised = context.RequestServices.GetRequiredService<CredentialKinds>().PresentedIn(context.Request)?.Recognise(context.Request);
        context.Items[typeof(RecognisedCredential)] = recognised;
        return recognised;
    }

    /// <summary>An IPv4 address, or an IPv6 address's /64: the least one subscriber is given (else 2^64 buckets a host).</summary>
    public static string AddressBucket(IPAddress? address)
    {
        if (address is null) return "";
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        if (address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6) return address.ToString();
        var bytes = address.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new IPAddress(bytes) + "/64";
    }

    /// <summary>Whose bucket a request draws from: its API key's, its license key's, or its client address's.</summary>
    private static (string Partition, int PerSecond, int Burst, string Holder) BucketOf(HttpContext context, RateLimitSettings settings) =>
        Recognised(context) switch
        {
            { IsLicenseKey: false } key => ("key:" + key.Id, settings.PermitsPerSecond, settings.Burst, "This API key"),
            { IsLicenseKey: true } license => ("license:" + license.Id, settings.ClientPermitsPerSecond, settings.ClientBurst, "This license key"),
            null => ("address:" + AddressBucket(context.Connection.RemoteIpAddress), settings.AnonymousPermitsPerSecond, settings.AnonymousBurst,
                "This client address, without a valid API key,")
        };

    private static string[] KnownProxies(IConfiguration configuration) =>
        configuration.GetSection("ForwardedHeaders:KnownProxies").Get<string[]>() ?? [];

    /// <summary>The client address is X-Forwarded-For only from a proxy in ForwardedHeaders:KnownProxies, else the connection's.</summary>
    public static WebApplication UseClientAddresses(this WebApplication app)
    {
        if (KnownProxies(app.Configuration).Length > 0) app.UseForwardedHeaders();
        return app;
    }

    /// <summary>Refilled about ten times a second: smoothly, not once a second.</summary>
    private static TokenBucketRateLimiterOptions Bucket(int perSecond, int burst)
    {
        var perPeriod = Math.Max(1, perSecond / 10);
        return new TokenBucketRateLimiterOptions
        {
            TokenLimit = burst,
            TokensPerPeriod = perPeriod,
            ReplenishmentPeriod = TimeSpan.FromSeconds((double)perPeriod / perSecond),
            QueueLimit = 0,
            AutoReplenishment = true
        };
    }
}
