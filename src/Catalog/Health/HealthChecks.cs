using Catalog.Http;
using Catalog.Hosting;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Catalog.Health;

/// <summary>
/// <c>/health/live</c>: the process answers. <c>/health/ready</c>: it can also reach PostgreSQL, so a load
/// balancer sends it traffic. Neither needs an API key or counts against a rate limit.
/// </summary>
public static class HealthConfiguration
{
    public static IServiceCollection AddHealth(this IServiceCollection services)
    {
        services.AddSingleton<DatabaseHealthCheck>(); // one per node, so that it can share its answer
        services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database", tags: ["ready"]);
        return services;
    }

    public static void MapHealth(this WebApplication app)
    {
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = Write })
            .AllowAnonymous().DisableRateLimiting();
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = x => x.Tags.Contains("ready"), ResponseWriter = Write })
            .AllowAnonymous().DisableRateLimiting();
    }

    private static Task Write(HttpContext context, HealthReport report) =>
        context.Response.WriteAsJsonAsync(new
        {
            status = report.Status == HealthStatus.Healthy ? "ok" : "unavailable",
            checks = report.Entries.ToDictionary(x => x.Key, x => x.Value.Status == HealthStatus.Healthy ? "ok" : "unavailable")
        });
}

/// <summary>
/// Can PostgreSQL be reached? Asked at most once a second, whatever the number of probes (the endpoint needs no key
/// and is not rate limited): every probe within a second of the last query shares its answer.
/// </summary>
public sealed class DatabaseHealthCheck(IDirectoryStore store, IDocumentStore accounts, TimeProvider time) : IHealthCheck
{
    public static readonly TimeSpan AskAtMostEvery = TimeSpan.FromSeconds(1);

    private readonly Lock _gate = new();
    private (DateTimeOffset At, Task<HealthCheckResult> Answer)? _last;
    private long _queries;

    /// <summary>How many times this node asked PostgreSQL (the tests count them).</summary>
    public long Queries => Interlocked.Read(ref _queries);

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken token = default)
    {
        lock (_gate)
        {
            var now = time.GetUtcNow();
            if (_last is { } last && now - last.At < AskAtMostEvery) return last.Answer;
            Interlocked.Increment(ref _queries);
            var answer = Ask();
            _last = (now, answer);
            return answer;
        }
    }

    /// <summary>
    /// With shards, the shard databases, listed once: the shards are fixed while a node runs, and listing them reads
    /// Marten's whole registry (every account's assignment).
    /// </summary>
    private IReadOnlyList<Marten.Storage.IMartenDatabase>? _shards;

    private async Task<HealthCheckResult> Ask()
    {
        if (await Database.Unreachable(store.Storage.Database, CancellationToken.None) is { } failure)
            return HealthCheckResult.Unhealthy("PostgreSQL cannot be reached", failure);
        // With shards, each of them too: an account whose shard is away cannot be served.
        if (accounts.Options.Tenancy is Marten.Storage.ShardedTenancy)
        {
            try
            {
                foreach (var shard in _shards ??= await accounts.Storage.AllDatabases())
                    if (await Database.Unreachable(shard, CancellationToken.None) is { } away)
#pragma warning disable CS0618 // Identifier is the shard's name under Sharding:Databases
                        return HealthCheckResult.Unhealthy($"The shard {shard.Identifier} cannot be reached", away);
#pragma warning restore CS0618
            }
            catch (Exception e) when (DatabaseExceptionHandler.IsDatabaseUnavailable(e))
            {
                return HealthCheckResult.Unhealthy("The shards cannot be listed", e);
            }
        }
        return HealthCheckResult.Healthy();
    }
}
