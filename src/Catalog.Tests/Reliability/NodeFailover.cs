using System.Text;
using System.Text.RegularExpressions;
using Catalog.Tests.Webhooks;
using Npgsql;

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

            // One node runs the feed, one the purge: never two of either.
            var feedNode = await database.NodeRunning(Feed);
            Assert.Equal(1, await database.Assignments(Purge));
            var feedProcess = nodes.Single(x => NodeNumberOf(x) == feedNode);

            feedProcess.Kill(); // kill -9: no goodbye to the cluster, its heartbeat just stops
            var survivors = nodes.Where(x => x != feedProcess).ToList();
            var survivorNumbers = survivors.Select(NodeNumberOf).ToHashSet();

            // The promise: within 30 seconds the feed runs on a live node.
            await Eventually(async () => await database.NodeRunning(Feed) is { } now && survivorNumbers.Contains(now),
                "the feed on a live node", seconds: 30);
            Assert.Equal(1, await database.Assignments(Purge));

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

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    /// <summary>The number the node drew in Wolverine's node table, from its own log.</summary>
    public static int NodeNumberOf(ServiceProcess node) =>
        node.Output.Select(x => Regex.Match(x, @"node id for envelope persistence is (\d+)")).Where(x => x.Success)
            .Select(x => int.Parse(x.Groups[1].Value)).Single();
}

/// <summary>A database of a test's own, its schema applied by `db-apply` as an operator does, dropped after.</summary>
public sealed class OwnDatabase : IAsyncDisposable
{
    private readonly string _server;
    private readonly string _name;
    public string ConnectionString { get; }

    private OwnDatabase(string server, string name, string connectionString)
    {
        _server = server;
        _name = name;
        ConnectionString = connectionString;
    }

    public static async Task<OwnDatabase> Create(string purpose)
    {
        var server = Environment.GetEnvironmentVariable("ConnectionStrings__Catalog")!;
        var name = $"catalog_{purpose}_{Guid.NewGuid():N}"[..40];
        await using (var connection = new NpgsqlConnection(server))
        {
            await connection.OpenAsync();
            await new NpgsqlCommand($"create database {name}", connection).ExecuteNonQueryAsync();
        }
        var database = new OwnDatabase(server, name, new NpgsqlConnectionStringBuilder(server) { Database = name }.ConnectionString);
        var applied = await CommandLineRunner.Run(["db-apply"], new Dictionary<string, string> { ["ConnectionStrings__Catalog"] = database.ConnectionString });
        Assert.True(applied.ExitCode == 0, applied.Output + applied.Error);
        return database;
    }

    /// <summary>An account and an API key with every scope, made on the command line.</summary>
    public async Task<string> AKey(IDictionary<string, string> environment) => (await AClient(environment)).Key;

    /// <summary>An account and an API key with every scope, made on the command line.</summary>
    public async Task<Client> AClient(IDictionary<string, string> environment)
    {
        var account = (await CommandLineRunner.Run(["accounts", "create", "--name", "Nodes", "--json"], environment)).LastJson.GetProperty("id").GetString()!;
        var created = await CommandLineRunner.Run(["api-keys", "create", "--account", account, "--scopes", string.Join(",", ApiTest.AllScopes), "--json"], environment);
        Assert.True(created.ExitCode == 0, created.Output + created.Error);
        return new Client(Guid.Parse(account), created.LastJson.GetProperty("id").GetGuid(), created.LastJson.GetProperty("key").GetString()!);
    }

    /// <summary>The node number of the live node Wolverine's leader gave the agent to, if any.</summary>
    public async Task<int?> NodeRunning(string agent)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "select n.node_number from catalog.wolverine_node_assignments a join catalog.wolverine_nodes n on n.id = a.node_id where a.id like @agent",
            connection);
        command.Parameters.AddWithValue("agent", agent);
        return await command.ExecuteScalarAsync() is int number ? number : null;
    }

    /// <summary>How many assignments of the agent the cluster's table holds.</summary>
    public async Task<long> Assignments(string agent)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("select count(*) from catalog.wolverine_node_assignments where id like @agent", connection);
        command.Parameters.AddWithValue("agent", agent);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(_server);
        await connection.OpenAsync();
        await new NpgsqlCommand($"drop database if exists {_name} with (force)", connection).ExecuteNonQueryAsync();
    }
}
