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
    /// <summary>Why the directory's PostgreSQL does not answer <c>select 1</c> within 2 seconds, or null when it does.</summary>
    public static Task<Exception?> Unreachable(IDirectoryStore store, CancellationToken token) => Unreachable(store.Storage.Database, token);

    /// <summary>Why PostgreSQL does not answer <c>select 1</c> within 2 seconds, or null when it does.</summary>
    public static async Task<Exception?> Unreachable(Marten.Storage.IMartenDatabase database, CancellationToken token)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
        timeout.CancelAfter(TimeSpan.FromSeconds(2));
        try
        {
            await using var connection = database.CreateConnection();
            await connection.OpenAsync(timeout.Token);
            await using var command = connection.CreateCommand();
            command.CommandText = "select 1";
            await command.ExecuteScalarAsync(timeout.Token);
            return null;
        }
        catch (Exception e) when (!token.IsCancellationRequested)
        {
            return e;
        }
    }

    public const string ConnectionStringName = "Catalog";
    public const string Schema = "catalog";
    public const string GeneratedShardedNamespace = "Internal.GeneratedSharded";

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

    /// <summary>Where the shard databases are configured: <c>Sharding:Databases:&lt;name&gt;</c> = a connection string.</summary>
    public const string ShardsSection = "Sharding:Databases";

    /// <summary>
    /// The shard databases by name, with the service's connection defaults; none for a single-database deployment.
    /// With shards, <c>ConnectionStrings:Catalog</c> keeps the directory (<see cref="IDirectoryStore"/>) and Marten's
    /// record of which shard each account lives on.
    /// </summary>
    public static IReadOnlyDictionary<string, string> Shards(IConfiguration configuration) =>
        configuration.GetSection(ShardsSection).GetChildren()
            .Where(x => !string.IsNullOrWhiteSpace(x.Value))
            .ToDictionary(x => x.Key, x => WithServiceDefaults(x.Value!), StringComparer.Ordinal);

    public static bool IsSharded(IConfiguration configuration) => Shards(configuration).Count > 0;

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
    /// The event store and the accounts' documents: on the one PostgreSQL database, or spread over the shard
    /// databases. Conjoined tenancy: one set of tables per database, every event and tenanted document tagged with
    /// its account. Every event id is a UUID v7, like every other id.
    /// </summary>
    public static StoreOptions UseCatalogDatabase(this StoreOptions options, IConfiguration configuration, IHostEnvironment environment)
    {
        var shards = Shards(configuration);
        if (shards.Count == 0) options.Connection(ConnectionString(configuration));
        else
            // Marten's sharded tenancy: each account (tenant) lives in one shard database, in list partitions of
            // its own; the pool of shards and the account -> shard assignments are kept in the directory database.
            options.MultiTenantedWithShardedDatabases(sharding =>
            {
                sharding.ConnectionString = ConnectionString(configuration);
                sharding.SchemaName = Schema;
                sharding.PartitionSchemaName = Schema;
                // Marten records the configured shards in its two registry tables before anything else, db-apply
                // included: those two are created when missing whatever the environment (everything else, as ever,
                // only by db-apply in Production).
                sharding.AutoCreate = AutoCreate.CreateOrUpdate;
                foreach (var (name, connectionString) in shards) sharding.AddDatabase(name, connectionString);
                // Accounts are placed when created (Shards.Place); an account without a place is an error, never
                // placed silently on first use.
                sharding.UseExplicitAssignment();
            });
        options.DatabaseSchemaName = Schema;
        options.AutoCreateSchemaObjects = SchemaCreation(environment);
        options.DeclareEventStore();
        options.Listeners.Add(new TimeOrderedEventIds());
        // Spans for Marten's connections, when OpenTelemetry listens (Hosting/Telemetry.cs).
        options.OpenTelemetry.TrackConnections = TrackLevel.Normal;
        return options;
    }

    /// <summary>
    /// The shape of the event tables: conjoined (every event tagged with its account), UUID streams. Declared by the
    /// directory's store too, which shares the tables on one database (<see cref="DirectoryDatabase"/>).
    /// </summary>
    public static StoreOptions DeclareEventStore(this StoreOptions options)
    {
        options.Events.TenancyStyle = TenancyStyle.Conjoined;
        options.Events.StreamIdentity = StreamIdentity.AsGuid;
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
        // With shards an idempotency key is claimed apart from the endpoint's transaction (Http/IdempotencyKeys.cs), so the code
        // differs: it is generated into a namespace and folder of its own, and the build compiles both.
        var sharded = IsSharded(configuration);
        if (sharded) options.CodeGeneration.GeneratedNamespace = GeneratedShardedNamespace;
        var generatedCode = configuration["Catalog:GeneratedCodePath"]
                            ?? (ProjectDirectory() is { } project ? Path.Combine(project, "Internal", sharded ? "GeneratedSharded" : "Generated") : null);
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
