using Catalog.Secrets;
using Catalog.Http;
using Alba;
using Microsoft.Extensions.Logging;
using Marten;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Wolverine;

[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Catalog.Tests;

/// <summary>
/// One real host for the whole run: the service's own Program, its real authentication, Marten, Wolverine and
/// the async daemon, against the PostgreSQL named by ConnectionStrings__Catalog (scripts/test starts one and
/// sets it). A test may restart it, to prove what survives a restart or to swap one service.
/// </summary>
public sealed class AppFixture : IAsyncLifetime
{
    public IAlbaHost Host { get; private set; } = null!;

    /// <summary>What the shared host logs: work that any node may do (a webhook delivery) is logged by whichever did it.</summary>
    public RecordedLogs Logs { get; } = new();

    /// <summary>The host's clock: the real time, moved forward by a test that must not wait for an expiry (reset between tests).</summary>
    public MovableClock Clock { get; } = new();

    public async Task InitializeAsync()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("ConnectionStrings__Catalog")))
            throw new InvalidOperationException(
                "ConnectionStrings__Catalog is not set: run the tests with scripts/test, which starts PostgreSQL.");

        // The key that seals signing keys and webhook secrets (scripts/test makes one): the host, the service
        // processes and the commands the tests start all share it, as they share the database.
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("Secrets__MasterKey")))
            Environment.SetEnvironmentVariable("Secrets__MasterKey",
                Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)));

        Host = await Start(null);
        // The whole schema up front, as `db-apply` does for an operator: Development would otherwise create each
        // table on first use, and a service process started in Production mode (the fault tests) would meet a
        // database whose tables depend on which tests ran before it.
        // Again if the host's own start-up (Development creates tables on first use) raced it to one of them:
        // seen as "relation pk_mt_events_stream_and_version already exists" on a fresh database.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await Host.Services.GetRequiredService<IDocumentStore>().Storage.ApplyAllConfiguredChangesToDatabaseAsync();
                await Host.Services.GetRequiredService<Catalog.Hosting.IDirectoryStore>().Storage.ApplyAllConfiguredChangesToDatabaseAsync();
                return;
            }
            catch (Marten.Exceptions.MartenSchemaException) when (attempt < 5)
            {
                await Task.Delay(300 * attempt);
            }
        }
    }

    /// <summary>Stops the host and starts a new one on the same database, optionally configured differently.</summary>
    public async Task RestartAsync(Action<IWebHostBuilder>? configure = null)
    {
        await Host.StopAsync();
        await Host.DisposeAsync();
        Host = await Start(configure);
    }

    private Task<IAlbaHost> Start(Action<IWebHostBuilder>? configure) => AlbaHost.For<Program>(builder =>
    {
        builder.UseSetting("environment", "Development");
        builder.ConfigureLogging(logging => logging.AddProvider(Logs));
        // Webhook retries in a fraction of a second, so that tests of the retry schedule run quickly.
        builder.UseSetting("Webhooks:RetrySchedule", "300ms");
        // The tests' receivers listen on loopback, which the egress guard refuses by default (Webhooks/EgressGuard.cs).
        builder.UseSetting("Webhooks:AllowPrivateNetworks", "true");
        // Far above what any test sends, so that no test meets a 429 by accident (RateLimitsAndHealth sets its own).
        builder.UseSetting("RateLimit:PermitsPerSecond", "1000000");
        builder.UseSetting("RateLimit:Burst", "1000000");
        builder.UseSetting("RateLimit:AnonymousPermitsPerSecond", "1000000");
        builder.UseSetting("RateLimit:AnonymousBurst", "1000000");
        builder.UseSetting("RateLimit:ClientPermitsPerSecond", "1000000");
        builder.UseSetting("RateLimit:ClientBurst", "1000000");
        // The sweeps look every second, so that a test sees a recorded expiry soon after it moves the clock past it.
        builder.UseSetting(Catalog.Hosting.Sweep.EverySetting, "00:00:01");
        // Validation counts recorded every second, so that a test sees them in a product's activity soon.
        builder.UseSetting(Catalog.Activity.ValidationCounts.EverySetting, "00:00:01");
        builder.ConfigureServices(services =>
        {
            services.AddSingleton<TimeProvider>(Clock);
            services.RunWolverineInSoloMode();
            services.DisableAllExternalWolverineTransports();
        });
        configure?.Invoke(builder);
    });

    public async Task DisposeAsync()
    {
        await Host.StopAsync();
        await Host.DisposeAsync();
    }
}

/// <summary>The real time plus an offset a test moves forward: the service's expiries, without waiting for them.</summary>
public sealed class MovableClock : TimeProvider
{
    private long _offsetTicks;

    public TimeSpan Offset => TimeSpan.FromTicks(Interlocked.Read(ref _offsetTicks));

    public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + Offset;

    public void Advance(TimeSpan by) => Interlocked.Add(ref _offsetTicks, by.Ticks);

    public void Reset() => Interlocked.Exchange(ref _offsetTicks, 0);
}

[CollectionDefinition(Name)]
public sealed class ServiceCollection : ICollectionFixture<AppFixture>
{
    public const string Name = "service";
}

/// <summary>The last 20,000 lines the host logged, formatted: enough for a test to look for one.</summary>
public sealed class RecordedLogs : ILoggerProvider
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _lines = new();

    public IEnumerable<string> Lines => _lines;

    public ILogger CreateLogger(string categoryName) => new Recorder(this, categoryName);

    public void Dispose() { }

    private sealed class Recorder(RecordedLogs logs, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            logs._lines.Enqueue($"{category}: {formatter(state, exception)}");
            while (logs._lines.Count > 20_000) logs._lines.TryDequeue(out _);
        }
    }
}
