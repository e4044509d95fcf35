using Catalog.EventLog;
using Marten;

namespace Catalog.Tests.EventLog;

/// <summary>
/// A page of the log costs the same whatever other accounts hold: it is read from the account's own index, not by
/// walking the event table in sequence order past everybody else's events (bench/growth measures the time).
/// </summary>
public class TheLogOfASmallAccount(AppFixture fixture) : ApiTest(fixture)
{
    [SingleDatabaseFact]
    public async Task is_read_from_its_own_index_behind_a_big_neighbour()
    {
        var neighbour = await AClient();
        var neighbourProduct = (await CreateProduct(neighbour)).Id;
        await using (var connection = await OpenDatabase())
        {
            // 20,000 events of the neighbour: copies of its first one, as bench/growth seeds millions.
            await using var seed = new Npgsql.NpgsqlCommand($"""
                insert into catalog.mt_events (seq_id, id, stream_id, version, data, type, timestamp, tenant_id, mt_dotnet_type, is_archived)
                select nextval('catalog.mt_events_sequence'), gen_random_uuid(), e.stream_id, 1000 + g, e.data, e.type, e.timestamp, e.tenant_id, e.mt_dotnet_type, false
                from catalog.mt_events e, generate_series(1, 20000) g
                where e.tenant_id = '{neighbour.AccountId}' and e.stream_id = '{neighbourProduct}' and e.version = 1;
                analyze catalog.mt_events;
                """, connection);
            await seed.ExecuteNonQueryAsync();
        }
        var client = await AClient();
        for (var i = 0; i < 3; i++) await CreateProduct(client);

        foreach (var types in new[] { PublicEvents.Types.ToArray(), [typeof(Catalog.Products.ProductCreated)] })
        {
            await using var session = Store.QuerySession(client.AccountId.ToString());
            var plan = string.Join("\n", await PlanOf(ListEventsEndpoint.Page(session, types, cursor: null, count: 101)));

            Assert.Matches("Index Only Scan using idx_mt_events_tenant_(type_)?seq_id on mt_events e", plan);
            Assert.DoesNotContain("Seq Scan on mt_events", plan);
        }
        // And the page is the account's three events (once the daemon's high-water mark has passed the neighbour's).
        await Eventually(async () => (await Get("/api/v1/events?limit=100", client)).Data.GetArrayLength() == 3,
            "the account's three events listed");
    }

    [SingleDatabaseFact]
    public async Task its_indexes_are_part_of_the_schema_db_apply_makes()
    {
        await using (var connection = await OpenDatabase())
        {
            await using var drop = new Npgsql.NpgsqlCommand($"drop index catalog.{EventLogConfiguration.AccountTypeIndex}", connection);
            await drop.ExecuteNonQueryAsync();
        }
        CommandResult apply;
        try
        {
            var assert = await CommandLineRunner.Run("db-assert");
            Assert.NotEqual(0, assert.ExitCode);

            apply = await CommandLineRunner.Run("db-apply");
        }
        finally
        {
            // Whatever happened, the index is back for the tests after this one.
            await using var connection = await OpenDatabase();
            await using var restore = new Npgsql.NpgsqlCommand($"""
                create index if not exists {EventLogConfiguration.AccountTypeIndex}
                on catalog.mt_events using btree (tenant_id, type, seq_id) include (is_archived)
                """, connection);
            await restore.ExecuteNonQueryAsync();
        }

        Assert.True(apply.ExitCode == 0, apply.Output + apply.Error);
        var again = await CommandLineRunner.Run("db-assert");
        Assert.True(again.ExitCode == 0, again.Output + again.Error);
        await using (var connection = await OpenDatabase())
        {
            await using var read = new Npgsql.NpgsqlCommand(
                "select indexname from pg_indexes where schemaname = 'catalog' and tablename = 'mt_events' order by 1", connection);
            var names = new List<string>();
            await using var reader = await read.ExecuteReaderAsync();
            while (await reader.ReadAsync()) names.Add(reader.GetString(0));
            Assert.Contains(EventLogConfiguration.AccountIndex, names);
            Assert.Contains(EventLogConfiguration.AccountTypeIndex, names);
        }
    }
}
