using JasperFx;
using JasperFx.CodeGeneration;
using JasperFx.Events;
using JasperFx.MultiTenancy;
using JasperFx.OpenTelemetry;
using Wolverine;

namespace Catalog.Hosting;

/// <summary>The database and the Wolverine runtime every slice shares, set up from Program.cs beside the slices' own.</summary>
public static class Database
{
    /// <summary>Why PostgreSQL does not answer <c>select 1</c> within 2 seconds, or null when it does.</summary>
    public static async Task<Exception?> Unreachable(Marten.Storage.IMartenDatabase database, CancellationToken token)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
        timeout.CancelAfter(TimeSpan.FromSeconds(2));
        try
        {
            await using var connection = database.CreateConnection();
            await connection.OpenAsync(timeout.Token);
            await using var command = new NpgsqlCommand("select 1", connection);
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
    /// Npgsql settings for a pooled service, unless the connection string sets them: repeated statements prepared, and
    /// no DISCARD ALL per returned connection (no session state outlives a request here). The session's time zone is
    /// UTC, always.
    /// </summary>
    public static string WithServiceDefaults(string connectionString)
    {
        var given = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString };
        var settings = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
        if (!given.ContainsKey("Max Auto Prepare")) settings.MaxAutoPrepare = 64;
        if (!given.ContainsKey("No Reset On Close")) settings.NoResetOnClose = true;
        // Always, whatever the connection string says: an event appended to a stream is stamped with the database's UTC
        // wall-clock time, which PostgreSQL reads in the session's time zone (DeclareEventStore).
        settings.Timezone = "UTC";
        // With standbys listed, the primary unless asked otherwise: Wolverine would take whichever host answers first.
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

    /// <summary>The shard databases by name (none with one database); <c>ConnectionStrings:Catalog</c> is then the directory.</summary>
    public static IReadOnlyDictionary<string, string> Shards(IConfiguration configuration) =>
        configuration.GetSection(ShardsSection).GetChildren()
            .Where(x => !string.IsNullOrWhiteSpace(x.Value))
            .ToDictionary(x => x.Key, x => WithServiceDefaults(x.Value!), StringComparer.Ordinal);

    public static bool IsSharded(IConfiguration configuration) => Shards(configuration).Count > 0;

    /// <summary>Development creates and updates the schema on first use; Production expects `db-apply` to have run.</summary>
    public static AutoCreate SchemaCreation(IHostEnvironment environment) =>
        environment.IsDevelopment() ? AutoCreate.CreateOrUpdate : AutoCreate.None;

    /// <summary>A code unique in each account whatever its case (a product's, an entitlement's), kept by a unique index.</summary>
    public static MartenRegistry.DocumentMappingExpression<T> UniqueCodePerAccount<T>(this MartenRegistry.DocumentMappingExpression<T> mapping,
        System.Linq.Expressions.Expression<Func<T, object?>> code, string index) =>
        mapping.MultiTenanted().Index(code, x => (x.Name, x.IsUnique, x.Casing, x.TenancyScope) =
            (index, true, Marten.Schema.ComputedIndex.Casings.Lower, Marten.Schema.Indexing.Unique.TenancyScope.PerTenant));

    /// <summary>An index Marten's fluent mapping cannot state, declared on the mapping so that db-apply creates it.</summary>
    public static StoreOptions IndexDocuments<T>(this StoreOptions options, Weasel.Postgresql.Tables.IndexDefinition index)
    {
        options.Policies.ForAllDocuments(mapping =>
        {
            if (mapping.DocumentType == typeof(T)) mapping.Indexes.Add(index);
        });
        return options;
    }

    /// <summary>The accounts' events and documents, conjoined (tagged with their account), on one database or the shards.</summary>
    public static StoreOptions UseCatalogDatabase(this StoreOptions options, IConfiguration configuration, IHostEnvironment environment)
    {
        var shards = Shards(configuration);
        if (shards.Count == 0) options.Connection(ConnectionString(configuration));
        else
            // Each account lives in one shard, in list partitions of its own; the assignments are in the directory.
            options.MultiTenantedWithShardedDatabases(sharding =>
            {
                sharding.ConnectionString = ConnectionString(configuration);
                sharding.SchemaName = Schema;
                sharding.PartitionSchemaName = Schema;
                // Marten's two registry tables are created when missing in any environment (the rest only by db-apply).
                sharding.AutoCreate = AutoCreate.CreateOrUpdate;
                foreach (var (name, connectionString) in shards) sharding.AddDatabase(name, connectionString);
                // Accounts are placed when created (Shards.Place), never silently on first use.
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

    /// <summary>The event tables' shape, declared by the directory's store too (it shares them on one database).</summary>
    public static StoreOptions DeclareEventStore(this StoreOptions options)
    {
        options.Events.TenancyStyle = TenancyStyle.Conjoined;
        options.Events.StreamIdentity = StreamIdentity.AsGuid;
        // A quick append, which the event log relies on: it reads its stream's version before drawing sequence numbers,
        // and the (stream, version) key refuses a second append of the same version, so a stream's versions follow its
        // sequence (EventLog/ListEvents.PageOfStream). Quick rather than Marten's default
        // (QuickWithServerTimestamps): a new stream is then written with plain inserts (the stream's row first, whose key
        // keeps out a second start) instead of the append function and its six arrays: creates ×1.15 at 32 connections
        // in turns against the function (bench/README.md, fifth round). Appends to a stream take their timestamp from the
        // database as `now() at time zone 'utc'`, read in the session's time zone: the connections say UTC
        // (WithServiceDefaults).
        options.Events.AppendMode = JasperFx.Events.EventAppendMode.Quick;
        return options;
    }

    /// <summary>Wolverine for every slice: a transaction per endpoint, durable local queues, generated code committed.</summary>
    public static WolverineOptions UseCatalogHosting(this WolverineOptions options, IConfiguration configuration, IHostEnvironment environment)
    {
        options.AutoBuildMessageStorageOnStartup = SchemaCreation(environment);
        // PostgreSQL away at start is not fatal: the service starts, answers 503, and serves once it is back.
        options.ResourceMigrationFailureMode = ResourceMigrationFailureMode.ContinueOnFailures;
        // Every endpoint that touches Marten runs in one transaction that Wolverine commits after it returns.
        options.Policies.AutoApplyTransactions();
        // `codegen write` (scripts/codegen) writes the generated code into Internal/Generated. Release loads only that
        // (no Roslyn shipped); Debug compiles at runtime whatever is missing, as `codegen write` and the tests need.
#if RUNTIME_COMPILATION
        options.CodeGeneration.TypeLoadMode = TypeLoadMode.Auto;
        options.UseRuntimeCompilation();
#else
        options.CodeGeneration.TypeLoadMode = TypeLoadMode.Static;
#endif
        // With shards idempotency keys are claimed apart (Http/IdempotencyKeys.cs): that code is generated apart.
        var sharded = IsSharded(configuration);
        if (sharded) options.CodeGeneration.GeneratedNamespace = GeneratedShardedNamespace;
        var generatedCode = configuration["Catalog:GeneratedCodePath"]
                            ?? (ProjectDirectory() is { } project ? Path.Combine(project, "Internal", sharded ? "GeneratedSharded" : "Generated") : null);
        if (generatedCode is not null) options.CodeGeneration.GeneratedCodeOutputPath = generatedCode;

        // Local queues (webhook deliveries) are stored in PostgreSQL: a restart loses none of them.
        options.Policies.UseDurableLocalQueues();
        options.Durability.ScheduledJobPollingTime = TimeSpan.FromSeconds(1);

        // Identical nodes elect a leader that spreads the agents (webhook feeds, durability, purge) over live ones. A
        // node silent for 15 s is dead: its agents restart elsewhere within about 25 s, inside the promised 30 s.
        options.Durability.Mode = DurabilityMode.Balanced;
        options.Durability.HealthCheckPollingTime = TimeSpan.FromSeconds(3);
        options.Durability.StaleNodeTimeout = TimeSpan.FromSeconds(15);
        return options;
    }
}
