using Catalog.Hosting;
using Marten.Schema;

namespace Catalog.Licenses;

/// <summary>
/// Licenses projected before the license document kept its account hold none (the empty id): a file signed for such a
/// license would be signed with a key of no account, shared by every account's old licenses. At start each is given
/// the account Marten keeps it under (its tenant), in SQL, in every database. Idempotent and a no-op once done, so
/// nodes starting together do no harm; a database whose tables are not made yet (before db-apply) has nothing to stamp.
/// </summary>
public sealed class StampLicenseAccounts : IInitialData
{
    private const string Table = $"{Database.Schema}.mt_doc_license";
    private const string Field = nameof(License.AccountId);

    public async Task Populate(IDocumentStore store, CancellationToken cancellation)
    {
        foreach (var database in await store.Storage.AllDatabases())
        {
            await using var connection = database.CreateConnection();
            await connection.OpenAsync(cancellation);
            await using var exists = new NpgsqlCommand($"select to_regclass('{Table}') is not null", connection);
            if (await exists.ExecuteScalarAsync(cancellation) is not true) continue;

            await using var stamp = new NpgsqlCommand(
                $$"""
                  update {{Table}} set data = jsonb_set(data, '{{{Field}}}', to_jsonb(tenant_id))
                  where coalesce(data ->> '{{Field}}', '{{Guid.Empty}}') = '{{Guid.Empty}}'
                    and tenant_id ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
                  """, connection);
            await stamp.ExecuteNonQueryAsync(cancellation);
        }
    }
}
