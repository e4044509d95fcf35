using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Catalog.Hosting;

/// <summary>
/// The service starts while PostgreSQL is away: Wolverine's and Marten's hosted services, which need it (and one
/// failing aborts the host), are held back until it answers. Meanwhile <c>/health/ready</c> and the API answer 503.
/// </summary>
public static class StartWithoutDatabase
{
    /// <summary>Call after AddMarten and UseWolverine: it holds back the hosted services they registered.</summary>
    public static IServiceCollection HoldBackDatabaseServices(this IServiceCollection services)
    {
        var held = services.Where(NeedsTheDatabase).ToList();
        foreach (var descriptor in held) services.Remove(descriptor);
        services.AddSingleton(provider => new DatabaseServices(
            held.Select(x => (IHostedService)(x.ImplementationInstance ?? x.ImplementationFactory?.Invoke(provider)
                ?? ActivatorUtilities.CreateInstance(provider, x.ImplementationType!))).ToList,
            provider.GetRequiredService<IDirectoryStore>(),
            provider.GetServices<StartCheck>(),
            provider.GetRequiredService<IConfiguration>(),
            provider.GetRequiredService<IHostApplicationLifetime>(),
            provider.GetRequiredService<ILogger<DatabaseServices>>()));
        services.AddHostedService(provider => provider.GetRequiredService<DatabaseServices>());
        services.AddHealthChecks().AddCheck<DatabaseServices>("messaging", tags: ["ready"]);
        return services;
    }

    private static bool NeedsTheDatabase(ServiceDescriptor descriptor) =>
        descriptor.ServiceType == typeof(IHostedService) && !descriptor.IsKeyedService
        && (descriptor.ImplementationType ?? descriptor.ImplementationInstance?.GetType() ?? descriptor.ImplementationFactory?.Method.DeclaringType)
            ?.Assembly.GetName().Name is { } assembly
        && (assembly.StartsWith("Wolverine") || assembly.StartsWith("Marten") || assembly.StartsWith("JasperFx"));
}

/// <summary>The hosted services that need PostgreSQL to start, started in their order once it answers.</summary>
public sealed class DatabaseServices(
    Func<List<IHostedService>> resolve,
    IDirectoryStore store,
    IEnumerable<StartCheck> checks,
    IConfiguration configuration,
    IHostApplicationLifetime lifetime,
    ILogger<DatabaseServices> logger) : IHostedService, IHealthCheck
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<IHostedService> _started = [];
    private Task _waiting = Task.CompletedTask;
    private volatile bool _isStarted;

    public bool Started => _isStarted;

    public async Task StartAsync(CancellationToken token)
    {
        if (await DatabaseAnswers(token))
        {
            await StartAll(token);
            return;
        }
        logger.LogWarning("PostgreSQL cannot be reached: serving 503 until it can, then starting messaging and the event feeds");
        _waiting = Task.Run(WaitThenStart);
    }

    private async Task WaitThenStart()
    {
        try
        {
            while (!await DatabaseAnswers(_stopping.Token)) await Task.Delay(TimeSpan.FromMilliseconds(500), _stopping.Token);
            await StartAll(_stopping.Token);
            logger.LogInformation("PostgreSQL answers: messaging and the event feeds have started");
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested) { }
        catch (Exception e)
        {
            // A start that failed halfway cannot be resumed: the supervisor starts the process again.
            logger.LogCritical(e, "Messaging failed to start after PostgreSQL came back; stopping");
            lifetime.StopApplication();
        }
    }

    private async Task StartAll(CancellationToken token)
    {
        // A node with another master key, or without the shards of a sharded directory, takes no message and no feed.
        foreach (var check in checks) await check(token);
        await Shards.RefuseWithoutShardSettings(store.Storage.Database, configuration, token);
        foreach (var service in resolve())
        {
            await service.StartAsync(token);
            _started.Add(service);
        }
        _isStarted = true;
    }

    private async Task<bool> DatabaseAnswers(CancellationToken token) => await Database.Unreachable(store.Storage.Database, token) is null;

    public async Task StopAsync(CancellationToken token)
    {
        await _stopping.CancelAsync();
        await _waiting;
        for (var i = _started.Count - 1; i >= 0; i--) await _started[i].StopAsync(token);
    }

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken token = default) =>
        Task.FromResult(Started ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("Waiting for PostgreSQL to start messaging"));
}

/// <summary>What must hold before a node takes messages and feeds (a slice's, such as the master key's): it throws if not.</summary>
public delegate Task StartCheck(CancellationToken token);
