using Marten;
using Marten.Storage;

namespace Catalog.Hosting;

/// <summary>Which shard database an account lives in: Marten's sharded tenancy keeps the record, in the directory database.</summary>
public static class Shards
{
    /// <summary>
    /// Places a new account in <paramref name="shard"/>, or in the shard with the fewest accounts when none is named,
    /// and makes its partitions there. Returns the shard; null without shards.
    /// </summary>
    public static async Task<string?> Place(IDocumentStore store, Guid account, string? shard, CancellationToken token = default)
    {
        if (store.Options.Tenancy is not ShardedTenancy tenancy)
        {
            if (shard is not null)
                throw new AdministrationException($"--database names a shard, and this deployment has none ({Database.ShardsSection} is not set)");
            return null;
        }

        if (shard is null) return await store.Advanced.AddTenantToShardAsync(account.ToString(), token);

        var known = (await tenancy.ListDatabasesAsync(token)).Select(x => x.DatabaseId).Order().ToList();
        if (!known.Contains(shard))
            throw new AdministrationException($"no shard is named '{shard}'; the shards are: {string.Join(", ", known)}");
        await store.Advanced.AddTenantToShardAsync(account.ToString(), shard, token);
        return shard;
    }
}
