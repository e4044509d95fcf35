using Catalog.Accounts;
using Catalog.Licenses;
using Catalog.Webhooks;
using JasperFx.Events.Daemon;
using Catalog.Products;
using JasperFx;
using JasperFx.CodeGeneration;
using JasperFx.Events;
using JasperFx.MultiTenancy;
using Marten;
using JasperFx.OpenTelemetry;
using Wolverine;
using Wolverine.Marten;

namespace Catalog.Infrastructure;

/// <summary>
/// Marten (event store and documents) on the one PostgreSQL database, integrated with Wolverine so that an
/// endpoint's events and read models commit in one transaction with Wolverine's outbox.
/// </summary>
public static class Database
{
    public const string ConnectionStringName = "Catalog";
    public const string Schema = "catalog";

    /// <summary>The project's folder when running from a build of the source tree; null when published.</summary>
    private static string? ProjectDirectory()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            if (File.Exists(Path.Combine(directory.FullName, "Catalog.csproj"))) return directory.FullName;
        return null;
    }

    /// <summary>
    /// Npgsql settings for a long-running pooled service, applied unless the connection string sets them itself.
    /// Statements used more than once are prepared, as any tuned PostgreSQL client does (PostgreSQL otherwise
    /// parses and plans every query again); and a connection going back to the pool is not reset with
    /// DISCARD ALL, which costs the server a statement per request. Nothing here keeps session state on a pooled
    /// connection: advisory locks are transaction-scoped or held on connections of their own (Wolverine, Marten's
    /// daemon), and no temporary tables or SET outlive a request.
    /// </summary>
    public static string WithServiceDefaults(string connectionString)
    {
        var given = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString };
        var settings = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
        if (!given.ContainsKey("Max Auto Prepare")) settings.MaxAutoPrepare = 64;
        if (!given.ContainsKey("No Reset On Close")) settings.NoResetOnClose = true;
        return settings.ConnectionString;
    }

    public static WebApplicationBuilder AddCatalogDatabase(this WebApplicationBuilder builder)
    {
        var connectionString = builder.Configuration.GetConnectionString(ConnectionStringName)
            ?? throw new InvalidOperationException(
                $"No connection string: set ConnectionStrings__{ConnectionStringName} or ConnectionStrings:{ConnectionStringName} in appsettings.json");

        // Development creates and updates the schema on first use; Production expects `db-apply` to have run.
        var autoCreate = builder.Environment.IsDevelopment() ? AutoCreate.CreateOrUpdate : AutoCreate.None;

        builder.Services.AddMarten(options =>
            {
                options.Connection(WithServiceDefaults(connectionString));
                options.DatabaseSchemaName = Schema;
                options.AutoCreateSchemaObjects = autoCreate;

                // Conjoined tenancy: one set of tables, every event and tenanted document tagged with the account.
                options.Events.TenancyStyle = TenancyStyle.Conjoined;
                options.Events.StreamIdentity = StreamIdentity.AsGuid;

                options.ConfigureAccounts();
                options.ConfigureProducts();
                options.ConfigureLicenses();
                options.ConfigureWebhooks();
                options.ConfigureIdempotency();
                options.Listeners.Add(new TimeOrderedEventIds());

                // Spans for Marten's connections, when OpenTelemetry listens (Infrastructure/Telemetry.cs).
                options.OpenTelemetry.TrackConnections = TrackLevel.Normal;
            })
            // Wolverine's outbox and inbox live in the same database, so messages commit with the data.
            .IntegrateWithWolverine()
            // The async daemon runs the webhook feed; with several nodes one of them holds it (hot/cold).
            .AddAsyncDaemon(DaemonMode.HotCold)
            .SubscribeToEvents(new WebhookFeed());

        builder.Host.UseWolverine(options =>
        {
            options.AutoBuildMessageStorageOnStartup = autoCreate;
            // Every endpoint that touches Marten runs in one transaction that Wolverine commits after it returns.
            options.Policies.AutoApplyTransactions();
            // Wolverine generates the code of every endpoint and handler. `codegen write` (scripts/codegen) writes it
            // into Internal/Generated, where the build compiles it in: the service then starts without compiling
            // anything. Release builds load only that code (Static, no Roslyn shipped); Debug builds fall back to
            // compiling at runtime whatever is missing (Auto), which `codegen write` and the tests rely on.
#if RUNTIME_COMPILATION
            options.CodeGeneration.TypeLoadMode = TypeLoadMode.Auto;
            options.UseRuntimeCompilation();
#else
            options.CodeGeneration.TypeLoadMode = TypeLoadMode.Static;
#endif
            var generatedCode = builder.Configuration["Catalog:GeneratedCodePath"]
                                ?? (ProjectDirectory() is { } project ? Path.Combine(project, "Internal", "Generated") : null);
            if (generatedCode is not null) options.CodeGeneration.GeneratedCodeOutputPath = generatedCode;

            // Local queues (webhook deliveries) are stored in PostgreSQL: a restart loses none of them.
            options.Policies.UseDurableLocalQueues();
            options.Durability.ScheduledJobPollingTime = TimeSpan.FromSeconds(1);
        });

        return builder;
    }
}
