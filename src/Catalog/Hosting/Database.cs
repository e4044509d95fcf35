using JasperFx;
using JasperFx.CodeGeneration;
using JasperFx.Events;
using JasperFx.MultiTenancy;
using Marten;
using JasperFx.OpenTelemetry;
using Wolverine;

namespace Catalog.Hosting;

/// <summary>
/// The database and the Wolverine runtime every slice shares. Program.cs calls these inside AddMarten and
/// UseWolverine, next to each slice's own configuration.
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
        // Several hosts (a primary and its standbys): every connection goes to the primary unless it asks otherwise.
        // Marten asks for it anyway; Wolverine's inbox, node table and leader lock would otherwise take whichever host
        // answers first, a standby included. The lagging reads ask for a standby themselves (StandbyReads).
        if (settings.Host?.Contains(',') == true && !given.ContainsKey("Target Session Attributes"))
            settings.TargetSessionAttributes = "primary";
        return settings.ConnectionString;
    }

    /// <summary>The connection string of the catalog database, with the service's connection defaults.</summary>
    public static string ConnectionString(IConfiguration configuration) => WithServiceDefaults(
        configuration.GetConnectionString(ConnectionStringName)
        ?? throw new InvalidOperationException(
            $"No connection string: set ConnectionStrings__{ConnectionStringName} or ConnectionStrings:{ConnectionStringName} in appsettings.json"));

    /// <summary>
    /// Scale-out settings of the contract that this version does not act on yet (docs/scale-out.md): each is named in a
    /// warning at start, so that nobody believes accounts sharded when they are not.
    /// </summary>
    public static IEnumerable<string> SettingsNotYetServed(IConfiguration configuration)
    {
        if (configuration.GetSection("Sharding:Databases").GetChildren().Any())
            yield return "Sharding:Databases is set, but this version keeps every account in ConnectionStrings:Catalog (docs/scale-out.md)";
    }

    /// <summary>Development creates and updates the schema on first use; Production expects `db-apply` to have run.</summary>
    public static AutoCreate SchemaCreation(IHostEnvironment environment) =>
        environment.IsDevelopment() ? AutoCreate.CreateOrUpdate : AutoCreate.None;

    /// <summary>
    /// An index on a document's table that Marten's fluent mapping cannot state (a partial one on the account and id
    /// columns, say): declared on the mapping, so that db-apply creates it and db-assert checks it.
    /// </summary>
    public static StoreOptions IndexDocuments<T>(this StoreOptions options, Weasel.Postgresql.Tables.IndexDefinition index)
    {
        options.Policies.ForAllDocuments(mapping =>
        {
            if (mapping.DocumentType == typeof(T)) mapping.Indexes.Add(index);
        });
        return options;
    }

    /// <summary>
    /// The event store and documents on the one PostgreSQL database. Conjoined tenancy: one set of tables, every
    /// event and tenanted document tagged with its account. Every event id is a UUID v7, like every other id.
    /// </summary>
    public static StoreOptions UseCatalogDatabase(this StoreOptions options, IConfiguration configuration, IHostEnvironment environment)
    {
        options.Connection(ConnectionString(configuration));
        options.DatabaseSchemaName = Schema;
        options.AutoCreateSchemaObjects = SchemaCreation(environment);
        options.Events.TenancyStyle = TenancyStyle.Conjoined;
        options.Events.StreamIdentity = StreamIdentity.AsGuid;
        options.Listeners.Add(new TimeOrderedEventIds());
        // Spans for Marten's connections, when OpenTelemetry listens (Hosting/Telemetry.cs).
        options.OpenTelemetry.TrackConnections = TrackLevel.Normal;
        return options;
    }

    /// <summary>
    /// Wolverine's settings for every slice: one transaction per endpoint, durable local queues, and the generated
    /// code committed in Internal/Generated.
    /// </summary>
    public static WolverineOptions UseCatalogHosting(this WolverineOptions options, IConfiguration configuration, IHostEnvironment environment)
    {
        options.AutoBuildMessageStorageOnStartup = SchemaCreation(environment);
        // PostgreSQL away at start is not fatal: the service starts, answers 503, and serves once it is back.
        options.ResourceMigrationFailureMode = ResourceMigrationFailureMode.ContinueOnFailures;
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
        var generatedCode = configuration["Catalog:GeneratedCodePath"]
                            ?? (ProjectDirectory() is { } project ? Path.Combine(project, "Internal", "Generated") : null);
        if (generatedCode is not null) options.CodeGeneration.GeneratedCodeOutputPath = generatedCode;

        // Local queues (webhook deliveries) are stored in PostgreSQL: a restart loses none of them.
        options.Policies.UseDurableLocalQueues();
        options.Durability.ScheduledJobPollingTime = TimeSpan.FromSeconds(1);

        // Any number of identical nodes (Balanced): they register in PostgreSQL, elect a leader, and the leader
        // spreads the agents (each database's webhook feed and durability agent, the delivery purge) over the live
        // ones. A node that stops beating for 15 s is dead: its agents start elsewhere within about 25 s (15 s, a
        // 3 s check, up to 5 s for the command to reach the new node), inside the 30 s the service promises.
        options.Durability.Mode = DurabilityMode.Balanced;
        options.Durability.HealthCheckPollingTime = TimeSpan.FromSeconds(3);
        options.Durability.StaleNodeTimeout = TimeSpan.FromSeconds(15);
        return options;
    }
}
