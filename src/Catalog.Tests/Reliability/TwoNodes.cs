using System.Text;
using Catalog.Tests.Webhooks;

namespace Catalog.Tests.Reliability;

/// <summary>Two service processes on one database, with the load split across them.</summary>
public class TwoNodes(AppFixture fixture) : ApiTest(fixture)
{
    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    [Fact]
    public async Task two_nodes_keep_every_promise_of_one()
    {
        var client = await AClient();
        await using var a = await ServiceProcess.Start(Load.Unlimited);
        await using var b = await ServiceProcess.Start(Load.Unlimited);
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

        // A webhook event is delivered once per endpoint, though every node runs the feed's machinery.
        await using var receiver = await Receiver.Start();
        Assert.Equal(201, (int)(await nodes[0].PostAsync("/api/v1/webhook-endpoints",
            Json($$"""{"url":"{{receiver.Url}}","events":["product.created"]}"""))).StatusCode);
        Assert.Equal(201, (int)(await nodes[1].PostAsync("/api/v1/products", Json("""{"name":"Announced","code":"announced"}"""))).StatusCode);
        await Eventually(() => Task.FromResult(!receiver.Requests.IsEmpty), "the delivery");
        await Task.Delay(2000);
        Assert.Single(receiver.Requests);

        // A revoked key stops working on both nodes within 5 seconds (each caches keys for at most 2).
        await AccountAdministration.RevokeApiKey(Store, client.KeyId.ToString(), TimeProvider.System);
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
