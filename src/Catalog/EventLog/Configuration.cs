using System.Data.Common;
using Weasel.Core;
using Weasel.Core.Migrations;
using Weasel.Postgresql;
using DbCommandBuilder = Weasel.Core.DbCommandBuilder;

namespace Catalog.EventLog;

/// <summary>
/// The event log reads Marten's event table, one account at a time in sequence order. Marten indexes that table
/// by sequence and by stream, not by account, so without this index an account's page read every event the account
/// ever had and sorted them: 0.7 s for an account of 200,000 events behind a bigger one. With it a page reads
/// at most 101 entries of each type it lists, whatever the account and its neighbours hold (ListEvents.Page).
/// </summary>
public static class EventLogConfiguration
{
    /// <summary>The log of each event type of an account, in order: a page merges the types it lists.</summary>
    public const string AccountTypeIndex = "idx_mt_events_tenant_type_seq_id";

    /// <summary>
    /// The index on (account, sequence) of earlier versions. It gave the planner a way to walk a whole account
    /// filtering out the types a page does not list, which it took when its statistics were stale (1.4 s for a page
    /// of an account they did not know): db-apply drops it (Marten drops the indexes on its table that nobody
    /// declares or ignores), and nothing may use it again.
    /// </summary>
    public const string RetiredAccountIndex = "idx_mt_events_tenant_seq_id";

    public static StoreOptions ConfigureEventLog(this StoreOptions options)
    {
        // It is created after the event table, by db-apply (and by Development's automatic schema creation).
        options.LeaveEventLogIndexesAlone();
        options.Storage.Add(new EventLogIndexes(options));
        return options;
    }

    /// <summary>
    /// Marten drops indexes on its event table that it did not declare; these it leaves to us. Also said by the
    /// directory's store, which shares the event table on one database (Hosting/Directory.cs).
    /// </summary>
    public static StoreOptions LeaveEventLogIndexesAlone(this StoreOptions options)
    {
        options.Events.IgnoreIndex(AccountTypeIndex);
        return options;
    }
}

/// <summary>The event log's indexes on Marten's event table, as a schema feature Weasel creates and checks.</summary>
internal sealed class EventLogIndexes(StoreOptions options) : FeatureSchemaBase("event-log-indexes", options.Advanced.Migrator)
{
    protected override IEnumerable<ISchemaObject> schemaObjects()
    {
        var schema = options.Events.DatabaseSchemaName;
        // Covering: the page's sequence numbers are found in the index alone, without reading the events.
        yield return new EventTableIndex(schema, EventLogConfiguration.AccountTypeIndex, "tenant_id, type, seq_id", "is_archived");
    }
}

/// <summary>
/// One index on <c>mt_events</c>, compared with the database by PostgreSQL's own definition of it. One built by hand
/// under this name and definition (with CREATE INDEX CONCURRENTLY on a large table, say) is left alone.
/// </summary>
internal sealed class EventTableIndex(string schema, string name, string columns, string included) : ISchemaObject
{
    public DbObjectName Identifier { get; } = new PostgresqlObjectName(schema, name, SchemaUtils.IdentifierUsage.General);

    /// <summary>As pg_indexes shows it.</summary>
    private string Definition => $"CREATE INDEX {name} ON {schema}.mt_events USING btree ({columns}) INCLUDE ({included})";

    public void WriteCreateStatement(Migrator migrator, TextWriter writer) => writer.WriteLine(Definition + ";");

    public void WriteDropStatement(Migrator rules, TextWriter writer) =>
        writer.WriteLine($"DROP INDEX IF EXISTS {schema}.{name};");

    public void ConfigureQueryCommand(DbCommandBuilder builder)
    {
        builder.Append("select pg_get_indexdef(c.oid), x.indisvalid from pg_class c join pg_namespace n on n.oid = c.relnamespace " +
                       "join pg_index x on x.indexrelid = c.oid where n.nspname = ");
        builder.AppendParameter(schema);
        builder.Append(" and c.relname = ");
        builder.AppendParameter(name);
        builder.Append(";");
    }

    /// <summary>An index left invalid by a failed CREATE INDEX CONCURRENTLY serves nothing: it is made again.</summary>
    public async Task<ISchemaObjectDelta> CreateDeltaAsync(DbDataReader reader, CancellationToken ct = default) =>
        new SchemaObjectDelta(this, !await reader.ReadAsync(ct) ? SchemaPatchDifference.Create
            : reader.GetString(0) == Definition && reader.GetBoolean(1) ? SchemaPatchDifference.None
            : SchemaPatchDifference.Update); // dropped and made again

    public IEnumerable<DbObjectName> AllNames() { yield return Identifier; }
}
