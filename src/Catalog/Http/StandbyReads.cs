using Catalog.Hosting;
using Catalog.Conventions;
using Wolverine.Attributes;

namespace Catalog.Http;

/// <summary>
/// A read that may lag the caller's own writes by the standby's delay: a list or the event log, never a GET by id, a
/// validation or a write. It reads through a query session of its own (<see cref="StandbyReads"/>), with no transaction.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ReadMayLagAttribute : NonTransactionalAttribute;

/// <summary>
/// A read that must see the caller's own writes (a GET by id, a validation): a query session on the primary
/// (<see cref="StandbyReads.OnThePrimary"/>), with no transaction, no outbox and no message context, which only a
/// write needs. A read that may write (a validation starting a license's clock) opens its own session for it.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ReadOnPrimaryAttribute : NonTransactionalAttribute;

/// <summary>
/// The caller's account's database as an Npgsql source, for a read that runs its own SQL (a stored answer, validation's
/// one statement): as the hand-written peer reads, with no Marten session, whose retry pipeline around every command
/// was ≈3% of a get's CPU (bench/README.md). An endpoint marked <see cref="ReadOnPrimaryAttribute"/> or
/// <see cref="ReadMayLagAttribute"/> that takes one is given it instead of a session. Every statement filters on
/// <see cref="Account"/>.
/// </summary>
public sealed record AccountSource(NpgsqlDataSource DataSource, string Account)
{
    private const int Attempts = 3;

    /// <summary>
    /// Runs a read's command. When the database dropped the connection it ran on (a restart, a failover, an idle
    /// connection closed), the pool is cleared and the read runs again on a fresh connection, up to three times in all,
    /// as Marten's sessions retry theirs, with nothing around the command when it succeeds. A read changes nothing, so
    /// running it again is safe; a database that stays away is a 503 (DatabaseErrors.cs); a timeout is not run again.
    /// </summary>
    public async Task<NpgsqlDataReader> ReadAsync(NpgsqlCommand command, CancellationToken token)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await command.ExecuteReaderAsync(token);
            }
            catch (Exception e) when (attempt < Attempts && !token.IsCancellationRequested && e.Find<TimeoutException>() is null
                                      && DatabaseExceptionHandler.IsDatabaseUnavailable(e))
            {
                DataSource.Clear();
                await Task.Delay(TimeSpan.FromMilliseconds(50 * attempt), token);
            }
        }
    }
}

/// <summary>
/// <c>Database:ReadFromStandby</c>: with a multi-host connection string (<c>Host=primary,standby</c>), the reads marked
/// <see cref="ReadMayLagAttribute"/> go to a standby while one is up, else to the primary. Nothing else reaches it.
/// Npgsql's multi-host source is the library part; Marten has no per-session preference for a standby.
/// </summary>
public sealed class StandbyReads(NpgsqlDataSource? standby, IReadOnlyDictionary<string, NpgsqlDataSource> shardStandbys)
{
    /// <summary>Each endpoint marked <see cref="ReadMayLagAttribute"/> gets the session of <see cref="Open"/>.</summary>
    public static readonly IHttpPolicy LaggingReadSessions =
        new EdgePolicy(x => x.Method.Method.IsDefined(typeof(ReadMayLagAttribute), false) && !TakesASource(x), typeof(StandbyReads), nameof(Open));

    /// <summary>Each endpoint marked <see cref="ReadOnPrimaryAttribute"/> gets the session of <see cref="OnThePrimary"/>.</summary>
    public static readonly IHttpPolicy PrimaryReadSessions =
        new EdgePolicy(x => x.Method.Method.IsDefined(typeof(ReadOnPrimaryAttribute), false) && !TakesASource(x), typeof(StandbyReads), nameof(OnThePrimary));

    /// <summary>Each endpoint marked <see cref="ReadOnPrimaryAttribute"/> that reads its own SQL gets the source of <see cref="PrimarySourceOf"/>.</summary>
    public static readonly IHttpPolicy PrimaryReadSources =
        new EdgePolicy(x => x.Method.Method.IsDefined(typeof(ReadOnPrimaryAttribute), false) && TakesASource(x), typeof(StandbyReads), nameof(PrimarySourceOf));

    /// <summary>Each endpoint marked <see cref="ReadMayLagAttribute"/> that reads its own SQL gets the source of <see cref="LaggingSourceOf"/>.</summary>
    public static readonly IHttpPolicy LaggingReadSources =
        new EdgePolicy(x => x.Method.Method.IsDefined(typeof(ReadMayLagAttribute), false) && TakesASource(x), typeof(StandbyReads), nameof(LaggingSourceOf));

    /// <summary>Whether the endpoint runs its own SQL on an <see cref="AccountSource"/>, with no session.</summary>
    private static bool TakesASource(HttpChain chain) => chain.Method.Method.GetParameters().Any(x => x.ParameterType == typeof(AccountSource));

    /// <summary>The caller's account's database on the primary.</summary>
    public static async Task<AccountSource> PrimarySourceOf(StandbyReads reads, IDocumentStore store, HttpContext context)
    {
        var account = context.User.Tenant("a read");
        return new(await reads.SourceOf(store, account, context, mayLag: false), account);
    }

    /// <summary>The caller's account's database for a lagging read: its standby while one is up and has not failed this request.</summary>
    public static async Task<AccountSource> LaggingSourceOf(StandbyReads reads, IDocumentStore store, HttpContext context)
    {
        var account = context.User.Tenant("a lagging read");
        return new(await reads.SourceOf(store, account, context, mayLag: true), account);
    }

    /// <summary>The query session of a read on the primary, in the caller's account.</summary>
    public static IQuerySession OnThePrimary(IDocumentStore store, HttpContext context) =>
        store.QuerySession(context.User.Tenant("a read"));

    /// <summary>The query session of a lagging read, in the caller's account.</summary>
    public static async Task<IQuerySession> Open(IDocumentStore store, StandbyReads reads, HttpContext context, CancellationToken token)
    {
        var account = context.User.Tenant("a lagging read");
        if (await reads.LaggingStandbyOf(store, account, context) is not { } standby) return store.QuerySession(account);
        // Marten uses a connection it is given only when it is open, and closes it with the session.
        var connection = await standby.OpenConnectionAsync(token);
        try
        {
            var options = Marten.Services.SessionOptions.ForConnection(connection);
            options.TenantId = account;
            return store.QuerySession(options);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// The Npgsql source a read of its own SQL runs on (<see cref="AccountSource"/>): the account's database on the
    /// primary, or, for a read that may lag, its standby while one is up and has not failed this request.
    /// </summary>
    private async ValueTask<NpgsqlDataSource> SourceOf(IDocumentStore store, string account, HttpContext context, bool mayLag)
    {
        if (mayLag && await LaggingStandbyOf(store, account, context) is { } standby) return standby;
        return await store.Storage.FindOrCreateDatabase(account) is Weasel.Postgresql.PostgresqlDatabase database
            ? database.DataSource
            : throw new InvalidOperationException("Marten's database is not a PostgreSQL database with a data source");
    }

    /// <summary>The standby a lagging read goes to, unless none is configured or it already failed this request.</summary>
    private ValueTask<NpgsqlDataSource?> LaggingStandbyOf(IDocumentStore store, string account, HttpContext context) =>
        context.Items.ContainsKey(LaggingReadOnThePrimary) ? ValueTask.FromResult<NpgsqlDataSource?>(null) : StandbyOf(store, account);

    private const string LaggingReadOnThePrimary = "catalog.lagging-read-on-the-primary";

    private readonly NpgsqlDataSource? _standby = standby;
    private readonly IReadOnlyDictionary<string, NpgsqlDataSource> _shardStandbys = shardStandbys;

    /// <summary>The standby-preferring source of the account's database: with shards, of the shard it lives in.</summary>
    private async ValueTask<NpgsqlDataSource?> StandbyOf(IDocumentStore store, string account)
    {
        if (_shardStandbys.Count == 0) return _standby;
        var database = await store.Storage.FindOrCreateDatabase(account);
#pragma warning disable CS0618 // Identifier is the shard's name under Sharding:Databases, which is what the sources are keyed by
        return _shardStandbys.GetValueOrDefault(database.Identifier);
#pragma warning restore CS0618
    }

    private IEnumerable<NpgsqlDataSource> AllStandbys => _standby is null ? _shardStandbys.Values : [_standby, .. _shardStandbys.Values];

    /// <summary>
    /// Whether a lagging read runs again on the primary: the standby went away (its pool is cleared, so the next reads
    /// find it down), or cancelled the query for a conflict with the changes it was replaying (40001, 40P01).
    /// </summary>
    public bool ReadAgainOnThePrimary(HttpContext context, Exception e)
    {
        if (!AllStandbys.Any() || context.Items.ContainsKey(LaggingReadOnThePrimary) || !StandbyFailed(e)) return false;
        if (DatabaseExceptionHandler.IsDatabaseUnavailable(e))
            foreach (var standby in AllStandbys) standby.Clear();
        context.Items[LaggingReadOnThePrimary] = true;
        return true;
    }

    private static bool StandbyFailed(Exception e) =>
        DatabaseExceptionHandler.IsDatabaseUnavailable(e)
        || e.Find<PostgresException>() is { SqlState: PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected };
}

public static class StandbyReadsConfiguration
{
    public const string Setting = "Database:ReadFromStandby";

    public static IServiceCollection AddStandbyReads(this IServiceCollection services, IConfiguration configuration)
    {
        NpgsqlDataSource? standby = null;
        var shardStandbys = new Dictionary<string, NpgsqlDataSource>();
        if (configuration.GetValue<bool>(Setting))
        {
            // The one database, or each shard with the standbys its own connection string lists.
            var shards = Database.Shards(configuration);
            if (shards.Count == 0) standby = PreferringStandby(Database.ConnectionString(configuration));
            foreach (var (name, connectionString) in shards) shardStandbys[name] = PreferringStandby(connectionString);
        }
        return services.AddSingleton(new StandbyReads(standby, shardStandbys));
    }

    private static NpgsqlDataSource PreferringStandby(string connectionString) =>
        new NpgsqlDataSourceBuilder(connectionString).BuildMultiHost().WithTargetSession(TargetSessionAttributes.PreferStandby);
}
