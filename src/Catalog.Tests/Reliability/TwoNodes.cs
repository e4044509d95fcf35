using Catalog.Tests.Webhooks;

namespace Catalog.Tests.Reliability;

/// <summary>
/// Two service processes on one database of their own, with the load split across them (the shared test host runs in
/// solo mode, which a cluster of nodes must not share a database with).
/// </summary>
public class TwoNodes(AppFixture fixture) : ApiTest(fixture)
{
    [Fact]
    public async Task two_nodes_keep_every_promise_of_one()
    {
        await using var database = await OwnDatabase.Create("twonodes");
        var environment = new Dictionary<string, string>(Load.Unlimited) { ["ConnectionStrings__Catalog"] = database.ConnectionString };
        var client = await database.AClient(environment);
        await using var a = await ServiceProcess.Start(environment);
        await using var b = await ServiceProcess.Start(environment);
        HttpClient[] nodes = [Load.ClientFor(a.BaseUrl, client.Key), Load.ClientFor(b.BaseUrl, client.Key)];

        // A duplicate code is refused exactly once, whichever node each request reaches.
        var creates = await Task.WhenAll(Enumerable.Range(0, 50).Select(i =>
            nodes[i % 2].PostAsync("/api/v1/products", Json($$"""{"name":"Shared {{i}}","code":"{{(i % 2 == 0 ? "shared" : "SHARED")}}"}"""))));
        Assert.Single(creates, x => (int)x.StatusCode == 201);
        Assert.All(creates.Where(x => (int)x.StatusCode != 201), x => Assert.Equal(409, (int)x.StatusCode));
        var productId = JsonDocument.Parse(await creates.Single(x => (int)x.StatusCode == 201).Content.ReadAsStringAsync())
            .RootElement.GetProperty("data").GetProperty("id").GetString();

        // Concurrent issuance across both nodes counts exactly.
        var issues = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => nodes[i % 2].PostAsync($"/api/v1/products/{productId}/licenses", null)));
        Assert.All(issues, x => Assert.Equal(201, (int)x.StatusCode));
        foreach (var node in nodes)
        {
            var product = JsonDocument.Parse(await node.GetStringAsync($"/api/v1/products/{productId}")).RootElement;
            Assert.Equal(50, product.GetProperty("data").GetProperty("licensesCount").GetInt32());
        }

        // Metered use counts exactly across both nodes: 60 increments of 1 against 25, exactly 25 counted.
        var metered = await nodes[0].PostAsync($"/api/v1/products/{productId}/licenses", Json("""{"maxUses": 25}"""));
        var meteredId = JsonDocument.Parse(await metered.Content.ReadAsStringAsync()).RootElement.GetProperty("data").GetProperty("id").GetString();
        var increments = await Task.WhenAll(Enumerable.Range(0, 60).Select(i =>
            nodes[i % 2].PostAsync($"/api/v1/licenses/{meteredId}/usage", Json("""{"increment": 1}"""))));
        Assert.Equal(25, increments.Count(x => (int)x.StatusCode == 200));
        Assert.All(increments.Where(x => (int)x.StatusCode != 200), x => Assert.Equal(409, (int)x.StatusCode));
        var counted = JsonDocument.Parse(await nodes[1].GetStringAsync($"/api/v1/licenses/{meteredId}")).RootElement.GetProperty("data");
        Assert.Equal(25, counted.GetProperty("uses").GetInt32());

        // A webhook event is delivered once per endpoint, though every node runs the feed's machinery.
        await using var receiver = await Receiver.Start();
        Assert.Equal(201, (int)(await nodes[0].PostAsync("/api/v1/webhook-endpoints",
            Json($$"""{"url":"{{receiver.Url}}","events":["product.created"]}"""))).StatusCode);
        Assert.Equal(201, (int)(await nodes[1].PostAsync("/api/v1/products", Json("""{"name":"Announced","code":"announced"}"""))).StatusCode);
        // (The feed may start after the endpoint exists and so announce the products created above too: it delivers
        // by the endpoints there are when it reads an event.)
        IEnumerable<string?> Announced() => receiver.Requests.Select(x => JsonDocument.Parse(x.Body).RootElement)
            .Where(x => x.GetProperty("data").GetProperty("code").GetString() == "announced").Select(x => x.GetProperty("id").GetString());
        await Eventually(() => Task.FromResult(Announced().Any()), "the delivery");
        await Task.Delay(2000);
        Assert.Single(Announced());
        Assert.Equal(receiver.Requests.Count, receiver.Requests.Select(x => JsonDocument.Parse(x.Body).RootElement.GetProperty("id").GetString()).Distinct().Count());

        // A revoked key stops working on both nodes within 5 seconds (each caches keys for at most 2).
        var revoked = await CommandLineRunner.Run(["api-keys", "revoke", client.KeyId.ToString()], environment);
        Assert.True(revoked.ExitCode == 0, revoked.Output + revoked.Error);
        var deadline = DateTime.UtcNow.AddSeconds(5);
        int[] statuses;
        do
        {
            statuses = await Task.WhenAll(nodes.Select(async n => (int)(await n.GetAsync("/api/v1/products")).StatusCode));
            if (statuses.All(x => x == 401)) break;
            await Task.Delay(100);
        } while (DateTime.UtcNow < deadline);
        Assert.Equal([401, 401], statuses);
    }
}
