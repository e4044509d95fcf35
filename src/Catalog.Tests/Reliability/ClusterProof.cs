using System.Net.Http.Json;
using Catalog.Tests.Webhooks;
using Npgsql;
using Xunit.Abstractions;

namespace Catalog.Tests.Reliability;

/// <summary>
/// The scale-out proof on one machine: three service processes over a PostgreSQL primary and its streaming standby,
/// load spread over the three, and mid-load the node running the webhook feed and the standby killed. Then nothing
/// acknowledged is missing, the read models agree with the events, every event reaches the webhook endpoint with its
/// one id, and the event log lists every event. <c>CATALOG_CLUSTER_SECONDS</c> sets the load's length (6 s here; the
/// full run in docs/scale-out.md is <c>scripts/cluster</c>).
/// </summary>
public class ClusterProof(AppFixture fixture, ITestOutputHelper output) : ApiTest(fixture)
{
    [Fact]
    public async Task three_nodes_and_a_standby_lose_nothing_when_a_node_and_the_standby_are_killed_mid_load()
    {
        Assert.False(string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CATALOG_TEST_CLUSTER")),
            "run the tests with scripts/test: this test starts a standby of its PostgreSQL");
        var seconds = int.Parse(Environment.GetEnvironmentVariable("CATALOG_CLUSTER_SECONDS") ?? "6");
        await using var database = await OwnDatabase.Create("cluster");
        var primary = new NpgsqlConnectionStringBuilder(database.ConnectionString);
        var standbyPort = int.Parse(await TestTools.Postgres("standby", "test-standby", primary.Port.ToString(), (primary.Port + 20).ToString()));
        var nodes = new List<ServiceProcess>();
        try
        {
            var environment = new Dictionary<string, string>(Load.Unlimited)
            {
                ["ConnectionStrings__Catalog"] = new NpgsqlConnectionStringBuilder(database.ConnectionString)
                    { Host = $"127.0.0.1:{primary.Port},127.0.0.1:{standbyPort}" }.ConnectionString,
                ["Database__ReadFromStandby"] = "true",
                ["Logging__LogLevel__Wolverine"] = "Information"
            };
            var key = await database.AKey(environment);
            for (var i = 0; i < 3; i++) nodes.Add(await ServiceProcess.Start(environment));
            var clients = nodes.Select(x => Load.ClientFor(x.BaseUrl, key)).ToArray();

            await using var receiver = await Receiver.Start();
            Assert.Equal(201, (int)(await clients[0].PostAsync("/api/v1/webhook-endpoints",
                Json($$"""{"url":"{{receiver.Url}}","events":["product.created","license.issued"]}"""))).StatusCode);

            // Load over the three nodes; halfway, kill -9 the node running the feed, and stop the standby.
            var load = new Load();
            ServiceProcess killed;
            DateTimeOffset killedAt;
            using (var stop = new CancellationTokenSource())
            {
                var running = load.Run(clients, workers: 6, stop.Token);
                await Task.Delay(TimeSpan.FromSeconds(seconds / 2.0));
                var feedNode = await database.NodeRunning(NodeFailover.Feed);
                killed = nodes.SingleOrDefault(x => NodeFailover.NodeNumberOf(x) == feedNode) ?? nodes[0];
                killed.Kill();
                killedAt = DateTimeOffset.UtcNow;
                await TestTools.Postgres("stop", "test-standby");
                await Task.Delay(TimeSpan.FromSeconds(seconds / 2.0));
                await stop.CancelAsync();
                await running;
            }
            Assert.True(load.CreatedProducts.Count > 5, $"only {load.CreatedProducts.Count} products were created");
            var survivor = Load.ClientFor(nodes.First(x => x != killed).BaseUrl, key);

            // Every acknowledged write is there, once (its id is the primary key).
            foreach (var id in load.CreatedProducts)
                Assert.Equal(200, (int)(await survivor.GetAsync($"/api/v1/products/{id}")).StatusCode);
            foreach (var id in load.IssuedLicenses)
                Assert.Equal(200, (int)(await survivor.GetAsync($"/api/v1/licenses/{id}")).StatusCode);
            await ReadModelsAgreeWithTheEvents(database.ConnectionString);

            // Every product.created and license.issued event reaches the endpoint, each under its own one id.
            var events = await EventIds(database.ConnectionString, "'product_created', 'license_issued'");
            Assert.True(events.Count >= load.CreatedProducts.Count + load.IssuedLicenses.Count);
            try
            {
                await Eventually(() => Task.FromResult(events.IsSubsetOf(Delivered(receiver))), "every event delivered", seconds: 90);
            }
            catch (Exception e)
            {
                throw new Exception($"{events.Except(Delivered(receiver)).Count()} of {events.Count} missing; " + await Diagnose(database.ConnectionString), e);
            }
            var allDelivered = DateTimeOffset.UtcNow - killedAt;
            Assert.Subset(events, Delivered(receiver));

            // The event log, followed page by page from a surviving node, lists every event of the account.
            var sequences = new List<long>();
            for (string? cursor = null; ;)
            {
                var page = await survivor.GetFromJsonAsync<JsonElement>("/api/v1/events?limit=100" + (cursor is null ? "" : "&cursor=" + cursor));
                sequences.AddRange(page.GetProperty("data").EnumerateArray().Select(x => x.GetProperty("sequence").GetInt64()));
                cursor = page.GetProperty("pagination").GetProperty("nextCursor").GetString();
                if (cursor is null) break;
            }
            Assert.Equal(await EventSequences(database.ConnectionString), sequences);

            var answers = load.Answers.ToList();
            var summary = $"cluster proof: {seconds} s of load over 3 nodes, {answers.Count} requests " +
                             $"({answers.Count(x => x.Status == 201)} acknowledged, {answers.Count(x => x.Status == 0)} unanswered at the kill, " +
                             $"{answers.Count(x => x.Status is not (0 or 201))} other), {load.CreatedProducts.Count} products, {load.IssuedLicenses.Count} licenses, " +
                             $"{sequences.Count} events in the log, {events.Count} webhook events all delivered ({receiver.Requests.Count} deliveries); " +
                             $"every event delivered {allDelivered.TotalSeconds:0} s after the kill of the feed's node and the standby; " +
                             "nothing acknowledged missing, read models agree with the events, the event log complete";
            output.WriteLine(summary);
            if (Environment.GetEnvironmentVariable("CATALOG_CLUSTER_REPORT") is { Length: > 0 } report) await File.WriteAllTextAsync(report, summary + "\n");
        }
        finally
        {
            foreach (var node in nodes) await node.DisposeAsync();
            await TestTools.Postgres("stop", "test-standby");
        }
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
            lines.Add((await new NpgsqlCommand(sql, connection).ExecuteScalarAsync())?.ToString() ?? "null");
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
