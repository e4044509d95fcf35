using Catalog.Hosting;
using System.Security.Claims;
using Catalog.Conventions;
using JasperFx;
using JasperFx.CodeGeneration;
using JasperFx.CodeGeneration.Frames;
using Marten;
using Npgsql;
using Wolverine.Attributes;
using Wolverine.Http;

namespace Catalog.Http;

/// <summary>
/// A read that may lag behind the caller's own writes by the standby's replication delay: a list or the event log,
/// never a GET by id (a client reads back what it just created), a validation, a client endpoint or a write. Such an
/// endpoint reads through its own query session, with no transaction and no outbox, which <see cref="StandbyReads"/>
/// sends to a standby when <c>Database:ReadFromStandby</c> is on.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ReadMayLagAttribute : NonTransactionalAttribute;

/// <summary>
/// <c>Database:ReadFromStandby</c>: with a multi-host connection string (<c>Host=primary,standby</c>), the reads marked
/// <see cref="ReadMayLagAttribute"/> go to a standby while one is up, and to the primary when none is. Everything
/// else, Marten's own reads (the webhook feed, idempotent answers) included, stays on the primary: the standby is
/// reached only through the sessions opened here.
/// </summary>
public sealed class StandbyReads(NpgsqlDataSource? standby, IReadOnlyDictionary<string, NpgsqlDataSource> shardStandbys)
{
    /// <summary>The query session of a lagging read, in the caller's account.</summary>
    public static async Task<IQuerySession> Open(IDocumentStore store, StandbyReads reads, HttpContext context, CancellationToken token)
    {
        var account = context.User.FindFirstValue(CatalogClaims.AccountId)
                      ?? throw new InvalidOperationException("a lagging read needs an authenticated account");
        if (context.Items.ContainsKey(OnThePrimary) || await reads.StandbyOf(store, account) is not { } standby)
            return store.QuerySession(account);
        // Marten uses a connection it is given only when it is open (a closed one it replaces with its own), and
        // closes it with the session.
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

    private const string OnThePrimary = "catalog.lagging-read-on-the-primary";

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
    /// Whether a lagging read runs again on the primary (and is marked to): the standby went away (its pooled
    /// connections are broken; the pool is cleared so that the next reads find it down), or it cancelled the query for
    /// a conflict with the changes it was replaying (40001, 40P01), which happens when it lags the most.
    /// </summary>
    public bool ReadAgainOnThePrimary(HttpContext context, Exception e)
    {
        if (!AllStandbys.Any() || context.Items.ContainsKey(OnThePrimary) || !StandbyFailed(e)) return false;
        if (DatabaseExceptionHandler.IsDatabaseUnavailable(e))
            foreach (var standby in AllStandbys) standby.Clear();
        context.Items[OnThePrimary] = true;
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
            // The accounts' data is where lagging reads read: the one database, or with shards each shard (each with
            // the standbys its own connection string lists).
            var shards = Database.Shards(configuration);
            if (shards.Count == 0) standby = PreferringStandby(Database.ConnectionString(configuration));
            foreach (var (name, connectionString) in shards) shardStandbys[name] = PreferringStandby(connectionString);
        }
        return services.AddSingleton(new StandbyReads(standby, shardStandbys));
    }

    private static NpgsqlDataSource PreferringStandby(string connectionString) =>
        new NpgsqlDataSourceBuilder(connectionString).BuildMultiHost().WithTargetSession(TargetSessionAttributes.PreferStandby);
}

/// <summary>Gives each endpoint marked <see cref="ReadMayLagAttribute"/> the session of <see cref="StandbyReads.Open"/>.</summary>
public sealed class LaggingReadSessions : IHttpPolicy
{
    public void Apply(IReadOnlyList<HttpChain> chains, GenerationRules rules, IServiceContainer container)
    {
        foreach (var chain in chains.Where(x => x.Method.Method.IsDefined(typeof(ReadMayLagAttribute), false)))
            chain.AddEdgeMiddleware(rules, new MethodCall(typeof(StandbyReads), nameof(StandbyReads.Open)));
    }
}
