using System.Globalization;
using System.Threading.RateLimiting;
using Catalog.Conventions;
using System.Net;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.RateLimiting;

namespace Catalog.Http;

/// <summary>
/// Configuration section <c>RateLimit</c>: a token bucket per API key, one per license key and one per account for
/// all its license keys together on the client endpoints, and one per client address for requests without a
/// recognised credential.
/// </summary>
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
/// Each API key gets a token bucket of <see cref="RateLimitSettings.Burst"/> tokens refilled at
/// <see cref="RateLimitSettings.PermitsPerSecond"/>; each license key its client bucket, and its account a bucket
/// that all the account's license keys draw from as well. The limiter runs before authentication, so a credential is
/// recognised from the node's memory alone (<see cref="ICredentialRecognition"/>): a request whose credential this
/// node does not remember as valid (none, malformed, unknown, revoked, or not looked up in the last 2 seconds) draws
/// from its client address's bucket (<c>AnonymousPermitsPerSecond</c>, <c>AnonymousBurst</c>) before it can cost a
/// lookup, so a flood of made-up keys is bounded before it reaches the database. The client address is the
/// connection's, or the X-Forwarded-For of a proxy listed in <c>ForwardedHeaders:KnownProxies</c>. The buckets live in
/// the node's memory, so limits are per node. Health and docs are never limited.
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
            // Only the proxies named. (ASP.NET Core would otherwise believe any loopback address; and with both lists
            // empty it believes everyone, which is why UseClientAddresses leaves the middleware out when none is named.)
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
        RecognisedCredential? recognised = null;
        foreach (var recognition in context.RequestServices.GetServices<ICredentialRecognition>())
            if ((recognised = recognition.Recognise(context.Request)) is not null) break;
        context.Items[typeof(RecognisedCredential)] = recognised;
        return recognised;
    }

    /// <summary>
    /// The address a bucket is kept for: an IPv4 address as it is, an IPv6 address by its /64, the least a single
    /// subscriber is given (a bucket per full IPv6 address would give one host 2^64 buckets of made-up keys).
    /// </summary>
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

    /// <summary>Refilled in small steps (about ten a second), so that the bucket fills smoothly, not once a second.</summary>
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
