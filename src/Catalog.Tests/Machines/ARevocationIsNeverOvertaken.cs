using Npgsql;

namespace Catalog.Tests.Machines;

/// <summary>
/// Every decision on a license's machines and state is taken under the license's lock. A license that no machine has
/// used yet has no stream, so no stream row to lock: without a lock of its own, a first activation could read the
/// license before a revocation committed and commit after it, a machine activated on a revoked license.
/// </summary>
public class ARevocationIsNeverOvertaken(AppFixture fixture) : ApiTest(fixture)
{
    /// <summary>Sessions waiting for a transaction lock, in every database that holds accounts (pg_locks shows the whole server's).</summary>
    private static async Task<int> WaitingOnLicenseLocks()
    {
        var waiting = 0;
        foreach (var database in StorageMode.AccountDatabases)
        {
            await using var connection = await OpenDatabase(database);
            await using var command = new NpgsqlCommand("select count(*) from pg_locks where locktype = 'advisory' and not granted and database = (select oid from pg_database where datname = current_database())", connection);
            waiting += (int)(long)(await command.ExecuteScalarAsync())!;
        }
        return waiting;
    }

    [Fact]
    public async Task a_first_activation_and_a_revocation_of_a_license_without_machines_queue_on_its_lock()
    {
        var (vendor, license) = await ALicense();
        var licenseId = license.Id;

        // Hold the license's lock, as a revocation deciding at this moment does, in whichever database holds it.
        var holders = new List<(NpgsqlConnection Connection, NpgsqlTransaction Transaction)>();
        foreach (var database in StorageMode.AccountDatabases)
        {
            var connection = await OpenDatabase(database);
            var transaction = await connection.BeginTransactionAsync();
            await using var take = new NpgsqlCommand("select pg_advisory_xact_lock(@key)", connection, transaction);
            take.Parameters.AddWithValue("key", Catalog.Licenses.LicenseStream.LockKey(licenseId));
            await take.ExecuteNonQueryAsync();
            holders.Add((connection, transaction));
        }

        Task<ApiResponse> activation, revocation;
        try
        {
            activation = AsLicense("POST", "/api/v1/client/machines", license.Key, """{"fingerprint":"fp-1"}""");
            await Eventually(async () => await WaitingOnLicenseLocks() == 1, "the activation waits for the license's lock");
            revocation = Post($"/api/v1/licenses/{licenseId}/revoke", vendor, new { });
            await Eventually(async () => await WaitingOnLicenseLocks() == 2, "the revocation waits for it too");
            Assert.False(activation.IsCompleted);
        }
        finally
        {
            foreach (var (connection, transaction) in holders)
            {
                await transaction.RollbackAsync();
                await connection.DisposeAsync();
            }
        }

        var (activated, revoked) = (await activation, await revocation);
        Assert.Equal(200, revoked.Status);
        // Either order is right, as long as each saw the other: a machine activated first was activated on a license
        // that was not yet revoked; an activation second is refused.
        if (activated.Status == 201)
        {
            List<string> order = [];
            await Eventually(async () =>
            {
                order = (await Get("/api/v1/events?limit=100", vendor)).As<List<Catalog.EventLog.EventLogEntry>>().Select(x => x.Type).ToList();
                return order.Contains("license.revoked");
            }, "the revocation is in the event log");
            Assert.True(order.IndexOf("machine.activated") is >= 0 and var activatedAt && activatedAt < order.IndexOf("license.revoked"),
                string.Join(", ", order));
        }
        else
        {
            Assert.True(activated.Status == 403, activated.ToString());
            Assert.Equal("REVOKED", activated.Code);
        }
        await ReadModelsAgreeWithTheEvents();
    }
}
