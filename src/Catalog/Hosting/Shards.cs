using Marten.Storage;

namespace Catalog.Hosting;

/// <summary>
/// Which shard an account lives in (Marten's sharded tenancy, recorded in the directory). Placed when created: an
/// account without a place is refused, never placed on first use (a mistyped id would make an empty tenant).
/// </summary>
public static class Shards
{
    /// <summary>Places a new account in <paramref name="shard"/>, or the configured one with the fewest accounts; null without shards.</summary>
    public static async Task<string?> Place(IDocumentStore store, IConfiguration configuration, Guid account, string? shard,
        CancellationToken token = default)
    {
        if (store.Options.Tenancy is not ShardedTenancy tenancy)
        {
            if (shard is not null)
                throw new AdministrationException($"--database names a shard, and this deployment has none ({Database.ShardsSection} is not set)");
            await RefuseWithoutShardSettings(store.Storage.Database, configuration, token);
            return null;
        }

        var configured = Database.Shards(configuration).Keys.Order(StringComparer.Ordinal).ToList();
        if (shard is null)
        {
            // Only the shards this configuration names: Marten's registry keeps every shard it was ever given.
            var accounts = (await tenancy.ListDatabasesAsync(token)).ToDictionary(x => x.DatabaseId, x => x.TenantCount);
            shard = configured.MinBy(x => accounts.GetValueOrDefault(x))!;
        }
        else if (!configured.Contains(shard))
            throw new AdministrationException($"no shard is named '{shard}'; the shards are: {string.Join(", ", configured)}");

        await store.Advanced.AddTenantToShardAsync(account.ToString(), shard, token);
        return shard;
    }

    /// <summary>
    /// Whether an account is known to be in no shard (never, with one database): one read of the directory's registry,
    /// without Marten's registry lock. Work queued for an account removed since (its webhook deliveries) asks this
    /// first: Marten looks an unknown account up under that lock, from a blocking call when it opens a session, so a
    /// queue of such deliveries held every account creation behind them. A directory that does not answer says
    /// nothing: the work goes on as before (Marten knows its placed accounts without the directory).
    /// </summary>
    public static async Task<bool> IsGone(IDocumentStore store, Guid account, CancellationToken token)
    {
        if (store.Options.Tenancy is not ShardedTenancy tenancy) return false;
        try
        {
            return await tenancy.FindDatabaseForTenantAsync(account.ToString(), token) is null;
        }
        catch (Exception e) when (!token.IsCancellationRequested && e is NpgsqlException or TimeoutException)
        {
            return false;
        }
    }

    /// <summary>A node or command without <c>Sharding:Databases</c> on a sharded directory would take it for the one database: refused.</summary>
    public static async Task RefuseWithoutShardSettings(IMartenDatabase directory, IConfiguration configuration, CancellationToken token)
    {
        if (Database.IsSharded(configuration)) return;
        await using var connection = directory.CreateConnection();
        await connection.OpenAsync(token);
        await using var registry = connection.CreateCommand();
        registry.CommandText = $"select to_regclass('{Database.Schema}.mt_database_pool') is not null";
        if (await registry.ExecuteScalarAsync(token) is not true) return;
        registry.CommandText = $"select exists (select 1 from {Database.Schema}.mt_database_pool)";
        if (await registry.ExecuteScalarAsync(token) is true)
            throw new AdministrationException(
                $"this database is the directory of a deployment with shards: give every node and command its {Database.ShardsSection} settings");
    }
}
