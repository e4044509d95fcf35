using Catalog.EventLog;
using System.Text.RegularExpressions;
using Marten;

namespace Catalog.Tests.EventLog;

/// <summary>
/// A page of the log costs the same whatever the account and other accounts hold, and whatever PostgreSQL's
/// statistics say of them: it reads at most 101 entries of the account's own index for each type it lists, in a plan
/// that cannot become a walk or a sort of the account's rows (bench/growth measures the time).
/// </summary>
public class TheLogOfASmallAccount(AppFixture fixture) : ApiTest(fixture)
{
    [SingleDatabaseFact]
    public async Task a_page_reads_at_most_101_entries_a_type_even_of_an_account_the_statistics_do_not_know()
    {
        // A neighbour of 20,000 events, in the statistics; then an account of 3 products that grows to 5,003 events
        // after them: the statistics take it for an account of none (the plan that flipped: the whole account read
        // and sorted, 1.4 s for a page of an account of 1,000,000 events).
        var neighbour = await AClient();
        await Copies(neighbour, (await CreateProduct(neighbour)).Id, 20_000, analyzeAfter: true);
        var client = await AClient();
        for (var i = 0; i < 2; i++) await CreateProduct(client);
        await Copies(client, (await CreateProduct(client)).Id, 5_000, analyzeAfter: false);

        foreach (var types in new[] { PublicEvents.Types.ToArray(), [typeof(Catalog.Products.ProductCreated)] })
        foreach (var generic in new[] { false, true })
        {
            await using var session = Store.QuerySession(client.AccountId.ToString());
            var plan = await PlanOf(ListEventsEndpoint.Page(session, types, cursor: null, count: 101), analyze: true, generic);
            var what = $"{types.Length} types, {(generic ? "generic" : "custom")} plan:\n{string.Join("\n", plan)}";

            var accountScans = plan.Where(x => x.Contains(" on mt_events e ")).ToList();
            var scan = Assert.Single(accountScans);
            Assert.True(scan.Contains($"Index Only Scan using {EventLogConfiguration.AccountTypeIndex} on mt_events e"), what);
            var read = Regex.Match(scan, @"rows=(\d+) loops=(\d+)");
            Assert.True(int.Parse(read.Groups[1].Value) * int.Parse(read.Groups[2].Value) <= types.Length * 101, what);
            Assert.DoesNotContain(plan, x => x.Contains("Seq Scan on mt_events"));
        }
        // And the page is the account's first 100 events (once the daemon's high-water mark has passed the copies).
        await Eventually(async () =>
        {
            var page = await Get("/api/v1/events?limit=100", client);
            return page.Status == 200 && page.Data.GetArrayLength() == 100;
        }, "a full page of the account's events");
        var listed = (await Get("/api/v1/events?limit=100", client)).As<List<EventLogEntry>>();
        Assert.All(listed, x => Assert.Equal("product.created", x.Type));
        Assert.Equal(listed.Select(x => x.Sequence).Order(), listed.Select(x => x.Sequence));
    }

    /// <summary>
    /// <paramref name="count"/> copies of a product's first event, as bench/growth seeds millions, with PostgreSQL's
    /// statistics taken afterwards or left as they were.
    /// </summary>
    private static async Task Copies(Client account, Guid product, int count, bool analyzeAfter)
    {
        await using var connection = await OpenDatabase();
        await using var seed = new Npgsql.NpgsqlCommand($"""
            insert into catalog.mt_events (seq_id, id, stream_id, version, data, type, timestamp, tenant_id, mt_dotnet_type, is_archived)
            select nextval('catalog.mt_events_sequence'), gen_random_uuid(), e.stream_id, 1000 + g, e.data, e.type, e.timestamp, e.tenant_id, e.mt_dotnet_type, false
            from catalog.mt_events e, generate_series(1, {count}) g
            where e.tenant_id = '{account.AccountId}' and e.stream_id = '{product}' and e.version = 1;
            {(analyzeAfter ? "analyze catalog.mt_events;" : "")}
            """, connection);
        await seed.ExecuteNonQueryAsync();
    }

    [SingleDatabaseFact]
    public async Task its_index_is_part_of_the_schema_db_apply_makes_and_the_retired_one_is_dropped()
    {
        await using (var connection = await OpenDatabase())
        {
            // As a database of an earlier version has them: the index missing, the retired one present.
            await using var drop = new Npgsql.NpgsqlCommand($"""
                drop index catalog.{EventLogConfiguration.AccountTypeIndex};
                create index {EventLogConfiguration.RetiredAccountIndex} on catalog.mt_events using btree (tenant_id, seq_id) include (type, is_archived)
                """, connection);
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
            Assert.Contains(EventLogConfiguration.AccountTypeIndex, names);
            Assert.DoesNotContain(EventLogConfiguration.RetiredAccountIndex, names);
        }
    }
}
