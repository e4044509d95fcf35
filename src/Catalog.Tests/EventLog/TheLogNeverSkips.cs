using Catalog.EventLog;
using Npgsql;

namespace Catalog.Tests.EventLog;

/// <summary>
/// Sequence numbers are taken before commit, so concurrent writers commit them out of order. A client that keeps
/// the last sequence it saw must still see every event: the log lists an event only once every lower sequence has
/// committed or been abandoned.
/// </summary>
public class TheLogNeverSkips(AppFixture fixture) : ApiTest(fixture)
{
    [Fact]
    public async Task a_reader_following_cursors_during_sixteen_concurrent_writers_sees_the_whole_log()
    {
        var client = await AClient();
        var products = new List<Guid>();
        for (var i = 0; i < 4; i++) products.Add((await CreateProduct(client)).Id);

        var followed = new HashSet<long>();
        long? cursor = null;
        async Task<int> Follow()
        {
            var page = await Get("/api/v1/events?limit=100" + (cursor is null ? "" : $"&cursor={cursor}"), client);
            Assert.Equal(200, page.Status);
            var sequences = page.As<List<EventLogEntry>>().Select(x => x.Sequence).ToList();
            foreach (var sequence in sequences) Assert.True(followed.Add(sequence), $"{sequence} listed twice");
            if (sequences.Count > 0) cursor = sequences[^1];
            return sequences.Count;
        }

        using var writing = new CancellationTokenSource();
        var writers = Enumerable.Range(0, 16).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < 15; i++)
            {
                var product = products[(w + i) % products.Count];
                var response = i % 2 == 0
                    ? await Patch($"/api/v1/products/{product}", client, new { name = $"Writer {w} change {i}" })
                    : await Send("POST", $"/api/v1/products/{product}/licenses", client, "{}");
                Assert.True(response.Status is 200 or 201, response.ToString());
            }
        })).ToList();
        var reader = Task.Run(async () =>
        {
            while (!writing.IsCancellationRequested) await Follow();
        });
        await Task.WhenAll(writers);
        await writing.CancelAsync();
        await reader;

        var stored = await StoredSequences(client.AccountId);
        Assert.Equal(4 + 16 * 15, stored.Count);
        // The reader goes on from its cursor until the log has caught up with everything stored.
        await Eventually(async () => { await Follow(); return cursor >= stored[^1]; }, "the log to reach the last event");
        Assert.Equal(stored, followed.Order().ToList());
    }

    /// <summary>
    /// An append whose transaction stays open longer than the daemon's stale-gap threshold (3 s) holds back the
    /// log and the webhook feed instead of being skipped: Marten 9 skips a gap only when no transaction that could
    /// still fill it is alive. When it commits, both events are listed and delivered, in sequence order.
    /// </summary>
    [SingleDatabaseFact]
    public async Task an_append_that_commits_late_is_listed_and_delivered_not_skipped()
    {
        await using var receiver = await Catalog.Tests.Webhooks.Receiver.Start();
        var client = await AClient();
        Assert.Equal(201, (await Post("/api/v1/webhook-endpoints", client, new { url = receiver.Url, events = new[] { "product.created", "product.updated" } })).Status);
        var stalled = (await CreateProduct(client)).Id;
        await Eventually(() => Task.FromResult(receiver.Requests.Count == 1), "the first delivery");

        // Another transaction holds the product's row: the update takes its sequence number, then waits to commit.
        await using var connection = await OpenDatabase();
        await using var holding = await connection.BeginTransactionAsync();
        await using (var lockRow = new NpgsqlCommand("select 1 from catalog.mt_doc_product where id = @id for update", connection, holding))
        {
            lockRow.Parameters.AddWithValue("id", stalled);
            await lockRow.ExecuteScalarAsync();
        }
        var update = Patch($"/api/v1/products/{stalled}", client, new { name = "Committed late" });
        await Task.Delay(500);
        var later = (await CreateProduct(client)).Id;
        await Task.Delay(TimeSpan.FromSeconds(6)); // twice the stale-gap threshold

        var meanwhile = await Get("/api/v1/events", client);
        Assert.Equal(["product.created"], meanwhile.As<List<EventLogEntry>>().Select(x => x.Type));
        Assert.Single(receiver.Requests);

        await holding.CommitAsync();
        Assert.Equal(200, (await update).Status);

        await Eventually(async () => (await Get("/api/v1/events", client)).Data.GetArrayLength() == 3, "the log to list all three events");
        var log = (await Get("/api/v1/events", client)).As<List<EventLogEntry>>();
        Assert.Equal(["product.created", "product.updated", "product.created"], log.Select(x => x.Type));
        Assert.Equal([stalled, stalled, later], log.Select(x => x.StreamId));
        await Eventually(() => Task.FromResult(receiver.Requests.Count == 3), "the delivery of the late update and the event after it");
        Assert.Contains(receiver.Requests, x => x.Body.Contains("Committed late"));
    }

    /// <summary>The account's events as stored, from whichever database holds the account (with shards, one of them).</summary>
    private static async Task<List<long>> StoredSequences(Guid account)
    {
        var sequences = new List<long>();
        foreach (var database in StorageMode.AccountDatabases)
        {
            await using var connection = await OpenDatabase(database);
            await using var command = new NpgsqlCommand(
                "select seq_id from catalog.mt_events where tenant_id = @account and type <> 'tombstone' order by seq_id", connection);
            command.Parameters.AddWithValue("account", account.ToString());
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync()) sequences.Add(reader.GetInt64(0));
        }
        return sequences;
    }
}
