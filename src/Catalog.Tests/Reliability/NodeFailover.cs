using System.Text.RegularExpressions;
using Catalog.Tests.Webhooks;

namespace Catalog.Tests.Reliability;

/// <summary>
/// Three service processes, as operators run them, on a database of their own (the shared test host runs every agent
/// itself, in solo mode, so it must not share theirs): the nodes elect a leader, which gives the webhook feed and the
/// delivery purge to one node each, and moves them to a live node when theirs is killed.
/// </summary>
public class NodeFailover(AppFixture fixture) : ApiTest(fixture)
{
    public const string Feed = "event-subscriptions://%";
    private const string Purge = "webhook-delivery-purge://%";

    [Fact]
    public async Task the_webhook_feed_moves_to_a_live_node_within_30_seconds_of_its_node_being_killed()
    {
        await using var database = await OwnDatabase.Create("nodes");
        var environment = new Dictionary<string, string>(Load.Unlimited)
        {
            ["ConnectionStrings__Catalog"] = database.ConnectionString,
            // Each node says which number it drew in the cluster's node table.
            ["Logging__LogLevel__Wolverine"] = "Information"
        };
        var key = await database.AKey(environment);
        var nodes = new List<ServiceProcess>();
        try
        {
            for (var i = 0; i < 3; i++) nodes.Add(await ServiceProcess.Start(environment));
            var clients = nodes.Select(x => Load.ClientFor(x.BaseUrl, key)).ToArray();

            await using var receiver = await Receiver.Start();
            Assert.Equal(201, (int)(await clients[0].PostAsync("/api/v1/webhook-endpoints",
                Json($$"""{"url":"{{receiver.Url}}","events":["product.created"]}"""))).StatusCode);
            Assert.Equal(201, (int)(await clients[1].PostAsync("/api/v1/products", Json("""{"name":"Before","code":"before"}"""))).StatusCode);
            await Eventually(() => Task.FromResult(receiver.Requests.Count >= 1), "the delivery before the kill", seconds: 60);

            // One node runs the feed, one the purge: never two of either (the leader places the purge within a few
            // health checks of the nodes' start, so it may not be placed yet).
            var feedNode = await database.NodeRunning(Feed);
            await Eventually(async () => await database.Assignments(Purge) == 1, "the purge on one node", seconds: 30);
            var feedProcess = nodes.Single(x => NodeNumberOf(x) == feedNode);

            feedProcess.Kill(); // kill -9: no goodbye to the cluster, its heartbeat just stops
            var survivors = nodes.Where(x => x != feedProcess).ToList();
            var survivorNumbers = survivors.Select(NodeNumberOf).ToHashSet();

            // The promise: within 30 seconds the feed runs on a live node.
            await Eventually(async () => await database.NodeRunning(Feed) is { } now && survivorNumbers.Contains(now),
                "the feed on a live node", seconds: 30);
            await Eventually(async () => await database.Assignments(Purge) == 1, "the purge on one live node", seconds: 30);

            var survivor = Load.ClientFor(survivors[0].BaseUrl, key);
            Assert.Equal(201, (int)(await survivor.PostAsync("/api/v1/products", Json("""{"name":"After","code":"after"}"""))).StatusCode);
            await Eventually(() => Task.FromResult(EventIds(receiver).Count == 2), "the delivery after the kill", seconds: 60);
            Assert.Equal(["before", "after"], receiver.Requests
                .Select(x => JsonDocument.Parse(x.Body).RootElement.GetProperty("data").GetProperty("code").GetString())
                .Distinct());
        }
        finally
        {
            foreach (var node in nodes) await node.DisposeAsync();
        }
    }

    private static HashSet<string> EventIds(Receiver receiver) =>
        receiver.Requests.Select(x => JsonDocument.Parse(x.Body).RootElement.GetProperty("id").GetString()!).ToHashSet();

    /// <summary>The number the node drew in Wolverine's node table, from its own log.</summary>
    public static int NodeNumberOf(ServiceProcess node) =>
        node.Output.Select(x => Regex.Match(x, @"node id for envelope persistence is (\d+)")).Where(x => x.Success)
            .Select(x => int.Parse(x.Groups[1].Value)).Single();
}
