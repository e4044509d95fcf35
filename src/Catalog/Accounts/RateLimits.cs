using System.Globalization;
using System.Threading.RateLimiting;
using Catalog.Conventions;
using Microsoft.AspNetCore.RateLimiting;

namespace Catalog.Accounts;

/// <summary>Configuration section <c>RateLimit</c>: a token bucket per API key, per node.</summary>
public sealed class RateLimitSettings
{
    public int PermitsPerSecond { get; set; } = 100;
    public int Burst { get; set; } = 200;
}

/// <summary>
/// Each API key gets a token bucket of <see cref="RateLimitSettings.Burst"/> tokens refilled at
/// <see cref="RateLimitSettings.PermitsPerSecond"/>. The buckets live in the node's memory, so the limit is per
/// node: behind a load balancer with N nodes a key may reach up to N times the rate. Requests without a valid
/// key are refused by authentication and are not counted; health and docs are never limited.
/// </summary>
public static class RateLimits
{
    public static IServiceCollection AddApiKeyRateLimits(this IServiceCollection services, IConfiguration configuration)
    {
        var settings = configuration.GetSection("RateLimit").Get<RateLimitSettings>() ?? new RateLimitSettings();
        if (settings.PermitsPerSecond < 1 || settings.Burst < 1)
            throw new InvalidOperationException("RateLimit:PermitsPerSecond and RateLimit:Burst must be at least 1");

        // Refilled in small steps (about ten a second) so that the bucket fills smoothly, not once a second.
        var perPeriod = Math.Max(1, settings.PermitsPerSecond / 10);
        var period = TimeSpan.FromSeconds((double)perPeriod / settings.PermitsPerSecond);

        services.AddRateLimiter(options =>
        {
            options.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
                context.User.FindFirst(CatalogClaims.ApiKeyId)?.Value is { } keyId
                    ? RateLimitPartition.GetTokenBucketLimiter(keyId, _ => new TokenBucketRateLimiterOptions
                    {
                        TokenLimit = settings.Burst,
                        TokensPerPeriod = perPeriod,
                        ReplenishmentPeriod = period,
                        QueueLimit = 0,
                        AutoReplenishment = true
                    })
                    : RateLimitPartition.GetNoLimiter(""));

            options.OnRejected = async (rejected, token) =>
            {
                var context = rejected.HttpContext;
                var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait)
                    ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds))
                    : 1;
                var seconds = retryAfter.ToString(CultureInfo.InvariantCulture);
                context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
                context.Response.Headers.RetryAfter = seconds;
                context.Response.Headers["RateLimit-Limit"] = settings.Burst.ToString(CultureInfo.InvariantCulture);
                context.Response.Headers["RateLimit-Remaining"] = "0";
                context.Response.Headers["RateLimit-Reset"] = seconds;
                var problems = context.RequestServices.GetRequiredService<IProblemDetailsService>();
                await problems.WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = context,
                    ProblemDetails = Problems.Status(429,
                        $"This API key is over its limit of {settings.PermitsPerSecond} requests per second (bursts of {settings.Burst}); retry after {seconds} s.")
                });
            };
        });
        return services;
    }
}
