using System.Net.Http.Json;
using Catalog.Tests.Webhooks;
using Npgsql;
using Xunit.Abstractions;

namespace Catalog.Tests.Reliability;

/// <summary>
/// The scale-out proof on one machine: two PostgreSQL clusters, each with a streaming standby; accounts sharded over
/// them (the directory and shard "one" on the first, shard "two" on the second); three service processes reading
/// lists from the standbys; load on an account of each shard spread over the three nodes; and mid-load the node running
/// a webhook feed and the first cluster's standby killed. Then nothing acknowledged is missing, the read models agree
/// with the events in each shard, every event reaches the webhook endpoints with its one id, and each account's event
/// log lists every event of its shard. <c>CATALOG_CLUSTER_SECONDS</c> sets the load's length (6 s here; the full run
/// in docs/scale-out.md is <c>scripts/cluster</c>).
/// </summary>
public class ClusterProof(AppFixture fixture, ITestOutputHelper output) : ApiTest(fixture)
{
    private const string Second = "test-second", FirstStandby = "test-standby", SecondStandby = "test-second-standby";

    [ClusterFact]
    public async Task three_nodes_over_two_shards_with_standbys_lose_nothing_when_a_node_and_a_standby_are_killed_mid_load()
    {
        var seconds = int.Parse(Environment.GetEnvironmentVariable("CATALOG_CLUSTER_SECONDS") ?? "6");
        var first = new NpgsqlConnectionStringBuilder(Environment.GetEnvironmentVariable("ConnectionStrings__Catalog"));
        var secondPort = int.Parse(await TestTools.Postgres("start", Second, (first.Port + 40).ToString(),
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"));
        var nodes = new List<ServiceProcess>();
        try
        {
            await using var directory = await EmptyDatabase.Create("cluster_dir");
            await using var one = await EmptyDatabase.Create("cluster_one");
            await using var two = await EmptyDatabase.Create("cluster_two", new NpgsqlConnectionStringBuilder(first.ConnectionString) { Port = secondPort }.ConnectionString);
            var firstStandby = int.Parse(await TestTools.Postgres("standby", FirstStandby, first.Port.ToString(), (first.Port + 20).ToString()));
            var secondStandby = int.Parse(await TestTools.Postgres("standby", SecondStandby, secondPort.ToString(), (secondPort + 20).ToString()));
            string WithStandby(EmptyDatabase database, int standby) => new NpgsqlConnectionStringBuilder(database.ConnectionString)
                { Host = $"127.0.0.1:{new NpgsqlConnectionStringBuilder(database.ConnectionString).Port},127.0.0.1:{standby}" }.ConnectionString;
            var environment = new Dictionary<string, string>(Load.Unlimited)
            {
                ["ConnectionStrings__Catalog"] = WithStandby(directory, firstStandby),
                ["Sharding__Databases__one"] = WithStandby(one, firstStandby),
                ["Sharding__Databases__two"] = WithStandby(two, secondStandby),
                ["Database__ReadFromStandby"] = "true",
                ["Logging__LogLevel__Wolverine"] = "Information"
            };
            var applied = await CommandLineRunner.Run(["db-apply"], environment);
            Assert.True(applied.ExitCode == 0, applied.Output + applied.Error);
            var keys = new[] { await Shards.KeyFor(environment, await Shards.AccountIn(environment, "one")),
                               await Shards.KeyFor(environment, await Shards.AccountIn(environment, "two")) };
            for (var i = 0; i < 3; i++) nodes.Add(await ServiceProcess.Start(environment));
            // Each account's clients, one per node.
            var clients = keys.Select(key => nodes.Select(x => Load.ClientFor(x.BaseUrl, key)).ToArray()).ToArray();

            await using var receiver = await Receiver.Start();
            foreach (var account in clients)
                Assert.Equal(201, (int)(await account[0].PostAsync("/api/v1/webhook-endpoints",
                    Json($$"""{"url":"{{receiver.Url}}","events":["product.created","license.issued"]}"""))).StatusCode);

            // Load on both accounts over the three nodes; halfway, kill -9 the node running a webhook feed, and stop
            // the first cluster's standby (the directory's and shard one's).
            var loads = new[] { new Load(), new Load() };
            ServiceProcess killed;
            DateTimeOffset killedAt;
            using (var stop = new CancellationTokenSource())
            {
                var running = loads.Select((load, i) => load.Run(clients[i], workers: 3, stop.Token)).ToArray();
                await Task.Delay(TimeSpan.FromSeconds(seconds / 2.0));
                var feedNode = await OwnDatabase.NodeRunning(directory.ConnectionString, NodeFailover.Feed);
                killed = nodes.SingleOrDefault(x => NodeFailover.NodeNumberOf(x) == feedNode) ?? nodes[0];
                killed.Kill();
                killedAt = DateTimeOffset.UtcNow;
                await TestTools.Postgres("stop", FirstStandby);
                await Task.Delay(TimeSpan.FromSeconds(seconds / 2.0));
                await stop.CancelAsync();
                await Task.WhenAll(running);
            }
            var survivor = nodes.First(x => x != killed);
            var shards = new[] { one, two };
            var events = new HashSet<Guid>();
            var logged = 0;
            for (var i = 0; i < 2; i++)
            {
                var (load, shard) = (loads[i], shards[i].ConnectionString);
                Assert.True(load.CreatedProducts.Count > 5, $"only {load.CreatedProducts.Count} products were created in shard {i + 1}");
                var client = Load.ClientFor(survivor.BaseUrl, keys[i]);

                // Every acknowledged write is there, once (its id is the primary key), in its account's shard.
                foreach (var id in load.CreatedProducts)
                    Assert.Equal(200, (int)(await client.GetAsync($"/api/v1/products/{id}")).StatusCode);
                foreach (var id in load.IssuedLicenses)
                    Assert.Equal(200, (int)(await client.GetAsync($"/api/v1/licenses/{id}")).StatusCode);
                await ReadModelsAgreeWithTheEvents(shard);
                var shardEvents = await EventIds(shard, "'product_created', 'license_issued'");
                Assert.True(shardEvents.Count >= load.CreatedProducts.Count + load.IssuedLicenses.Count);
                events.UnionWith(shardEvents);

                // The account's event log, followed page by page from a surviving node, lists every event of its shard:
                // at once, or once the high-water mark has passed the holes the kill left (the append a killed node had
                // begun), which waits for its agent to move to a surviving node.
                var stored = await EventSequences(shard);
                var sequences = new List<long>();
                async Task<bool> LogIsComplete()
                {
                    sequences.Clear();
                    for (string? cursor = null; ;)
                    {
                        var page = await client.GetFromJsonAsync<JsonElement>("/api/v1/events?limit=100" + (cursor is null ? "" : "&cursor=" + cursor));
                        sequences.AddRange(page.GetProperty("data").EnumerateArray().Select(x => x.GetProperty("sequence").GetInt64()));
                        cursor = page.GetProperty("pagination").GetProperty("nextCursor").GetString();
                        if (cursor is null) return sequences.SequenceEqual(stored);
                    }
                }
                try
                {
                    await Eventually(LogIsComplete, "the event log complete", seconds: 60);
                }
                catch (Exception)
                {
                    Assert.Equal(stored, sequences); // names the first event missing
                    throw;
                }
                logged += sequences.Count;
            }

            // Every product.created and license.issued event of both shards reaches the endpoints, each under its one id.
            try
            {
                await Eventually(() => Task.FromResult(events.IsSubsetOf(Delivered(receiver))), "every event delivered", seconds: 90);
            }
            catch (Exception e)
            {
                throw new Exception($"{events.Except(Delivered(receiver)).Count()} of {events.Count} missing; "
                                    + await Diagnose(directory.ConnectionString, one.ConnectionString, two.ConnectionString), e);
            }
            var allDelivered = DateTimeOffset.UtcNow - killedAt;

            var answers = loads.SelectMany(x => x.Answers).ToList();
            var summary = $"cluster proof: {seconds} s of load over 3 nodes and 2 shards on 2 PostgreSQL clusters with a standby each, {answers.Count} requests " +
                          $"({answers.Count(x => x.Status == 201)} acknowledged, {answers.Count(x => x.Status == 0)} unanswered at the kill, " +
                          $"{answers.Count(x => x.Status is not (0 or 201))} other), " +
                          $"{string.Join(" and ", loads.Select((x, i) => $"{x.CreatedProducts.Count} products and {x.IssuedLicenses.Count} licenses in shard {i + 1}"))}, " +
                          $"{logged} events in the logs, {events.Count} webhook events all delivered ({receiver.Requests.Count} deliveries); " +
                          $"every event delivered {allDelivered.TotalSeconds:0} s after the kill of a feed's node and a standby; " +
                          "nothing acknowledged missing, read models agree with the events, the event logs complete";
            output.WriteLine(summary);
            if (Environment.GetEnvironmentVariable("CATALOG_CLUSTER_REPORT") is { Length: > 0 } report) await File.WriteAllTextAsync(report, summary + "\n");
        }
        finally
        {
            foreach (var node in nodes) await node.DisposeAsync();
            foreach (var cluster in new[] { FirstStandby, SecondStandby, Second }) await TestTools.Postgres("stop", cluster);
        }
    }

    private static async Task<string> Diagnose(params string[] connectionStrings)
    {
        var lines = new List<string>();
        foreach (var connectionString in connectionStrings) lines.Add(await Diagnose(connectionString));
        return string.Join("\n---\n", lines);
    }

    private static async Task<string> Diagnose(string connectionString)
    {
        await using var connection = await ApiTest.OpenDatabase(connectionString);
        var lines = new List<string>();
        foreach (var sql in new[]
                 {
                     "select string_agg(name || '=' || last_seq_id, ', ') from catalog.mt_event_progression",
                     "select string_agg(status || '/' || owner_id || '/' || coalesce(received_at,'') || ':' || n, ', ') from (select status, owner_id, received_at, count(*) n from catalog.wolverine_incoming_envelopes group by 1,2,3) x",
                     "select string_agg(a.id || '@' || n.node_number, ', ') from catalog.wolverine_node_assignments a join catalog.wolverine_nodes n on n.id = a.node_id",
                     "select string_agg(node_number || ':' || (now() - health_check)::text, ', ') from catalog.wolverine_nodes",
                     "select count(*)::text from catalog.mt_doc_webhookdelivery",
                     "select string_agg(node_number || ' ' || event_name || ' ' || description, ' | ') from (select * from catalog.wolverine_node_records order by id desc limit 15) r"
                 })
            try
            {
                lines.Add((await new NpgsqlCommand(sql, connection).ExecuteScalarAsync())?.ToString() ?? "null");
            }
            catch (PostgresException e) // not every table is in every database (the node table is the directory's)
            {
                lines.Add(e.MessageText);
            }
        return string.Join("\n", lines);
    }

    private static HashSet<Guid> Delivered(Receiver receiver) =>
        receiver.Requests.Select(x => JsonDocument.Parse(x.Body).RootElement.GetProperty("id").GetGuid()).ToHashSet();

    private static async Task<HashSet<Guid>> EventIds(string connectionString, string types)
    {
        await using var connection = await ApiTest.OpenDatabase(connectionString);
        await using var reader = await new NpgsqlCommand($"select id from catalog.mt_events where type in ({types})", connection).ExecuteReaderAsync();
        var ids = new HashSet<Guid>();
        while (await reader.ReadAsync()) ids.Add(reader.GetGuid(0));
        return ids;
    }

    /// <summary>The sequence numbers of the account's events, as the log should list them (Marten's tombstones are no event).</summary>
    private static async Task<List<long>> EventSequences(string connectionString)
    {
        await using var connection = await ApiTest.OpenDatabase(connectionString);
        await using var reader = await new NpgsqlCommand(
            "select seq_id from catalog.mt_events where type <> 'tombstone' and tenant_id <> '*DEFAULT*' order by seq_id", connection).ExecuteReaderAsync();
        var sequences = new List<long>();
        while (await reader.ReadAsync()) sequences.Add(reader.GetInt64(0));
        return sequences;
    }
}
