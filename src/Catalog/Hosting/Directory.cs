using JasperFx.OpenTelemetry;
using Marten;

namespace Catalog.Hosting;

/// <summary>
/// The directory: accounts, API keys, signing keys, the master-key check and, with shards, which account each license
/// key belongs to. It is how a request finds its account, so it lives on <c>ConnectionStrings:Catalog</c> whatever
/// the shards. A Marten store of its own (an ancillary store), in the same database and schema as the accounts'
/// data when there are no shards: a single-database deployment keeps its tables where they were.
/// </summary>
public interface IDirectoryStore : IDocumentStore;

public static class DirectoryDatabase
{
    /// <summary>The most connections a node's directory pool opens (fewer when the connection string says so).</summary>
    public const int MaxPoolSize = 20;

    public static StoreOptions UseDirectoryDatabase(this StoreOptions options, IConfiguration configuration, IHostEnvironment environment)
    {
        // Its own pool, kept small: it is asked only when a node's 2-second caches miss (and for signing keys), and each
        // node's connections to the database are what its operator sized (docs/scale-out.md).
        var connection = new Npgsql.NpgsqlConnectionStringBuilder(Database.ConnectionString(configuration));
        connection.MaxPoolSize = Math.Min(connection.MaxPoolSize, MaxPoolSize);
        options.Connection(connection.ConnectionString);
        options.DatabaseSchemaName = Database.Schema;
        options.AutoCreateSchemaObjects = Database.SchemaCreation(environment);
        options.OpenTelemetry.TrackConnections = TrackLevel.Normal;
        // The directory appends no events, but applying its schema meets the shared event tables (a store's schema
        // includes Marten's event store declaration): in the one database that declaration must be the accounts' own,
        // or each store rewrites the tables its way (Program.cs has it leave the event log's indexes alone too).
        options.DeclareEventStore();
        return options;
    }
}
