using JasperFx.OpenTelemetry;

namespace Catalog.Hosting;

/// <summary>
/// The directory: accounts, API keys, signing keys, the master-key check and, with shards, each license key's account.
/// An ancillary Marten store on <c>ConnectionStrings:Catalog</c> whatever the shards (beside the accounts' data without).
/// </summary>
public interface IDirectoryStore : IDocumentStore;

public static class DirectoryDatabase
{
    /// <summary>The most connections a node's directory pool opens (fewer when the connection string says so).</summary>
    public const int MaxPoolSize = 20;

    public static StoreOptions UseDirectoryDatabase(this StoreOptions options, IConfiguration configuration, IHostEnvironment environment)
    {
        // A small pool of its own: it is asked only when a node's 2-second caches miss, and for signing keys.
        var connection = new Npgsql.NpgsqlConnectionStringBuilder(Database.ConnectionString(configuration));
        connection.MaxPoolSize = Math.Min(connection.MaxPoolSize, MaxPoolSize);
        options.Connection(connection.ConnectionString);
        options.DatabaseSchemaName = Database.Schema;
        options.AutoCreateSchemaObjects = Database.SchemaCreation(environment);
        options.OpenTelemetry.TrackConnections = TrackLevel.Normal;
        // It appends no events, but its schema declares the event tables, shared on one database: declared alike.
        options.DeclareEventStore();
        return options;
    }
}
