using System.Diagnostics;

namespace Catalog.Tests.Webhooks;

/// <summary>
/// Each webhook endpoint has its own queue with at most 4 deliveries in flight, and an attempt connects within 5 s
/// and ends within 10 s: one account's dead receivers hold their own slots, never another account's.
/// </summary>
public class SlowReceiversStarveNobody(AppFixture fixture) : ApiTest(fixture)
{
    [Fact]
    public async Task twenty_never_answering_endpoints_and_500_events_do_not_delay_another_accounts_delivery()
    {
        await using var silent = new SilentReceiver();
        await using var receiver = await Receiver.Start();
        var flooding = await AClient();
        var waiting = await AClient();
        var endpoints = new List<Guid>();
        for (var i = 0; i < 20; i++)
        {
            var created = await Post("/api/v1/webhook-endpoints", flooding, new { url = $"{silent.BaseUrl}/dead/{i}", events = new[] { "product.created" } });
            Assert.Equal(201, created.Status);
            endpoints.Add(created.As<Catalog.Webhooks.WebhookEndpointCreated>().Id);
        }
        Assert.Equal(201, (await Post("/api/v1/webhook-endpoints", waiting, new { url = receiver.Url, events = new[] { "product.created" } })).Status);

        try
        {
            // 500 events for the flooding account: 10,000 deliveries to receivers that never answer.
            await Parallel.ForEachAsync(Enumerable.Range(0, 500), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, _) =>
                Assert.Equal(201, (await Post("/api/v1/products", flooding, new { name = $"Flood {i}", code = $"flood-{i}" })).Status));
            await Eventually(() => Task.FromResult(silent.Requests >= 20 * 4), "the silent receivers to hold their 4 deliveries each");

            var clock = Stopwatch.StartNew();
            await CreateProduct(waiting);
            await Eventually(() => Task.FromResult(!receiver.Requests.IsEmpty), "the other account's delivery", seconds: 10);
            var took = clock.Elapsed;

            Assert.True(took < TimeSpan.FromSeconds(10), $"took {took}");
            Assert.Equal(20, silent.MostHeldAtOnce.Count);
            Assert.All(silent.MostHeldAtOnce, x => Assert.True(x.Value <= 4, $"{x.Key} held {x.Value} deliveries at once"));

            // A delivery that never got an answer ends within the 10 s timeout, a failure with no response code.
            await Eventually(async () => (await Get($"/api/v1/webhook-endpoints/{endpoints[0]}/deliveries", flooding)).Data.GetArrayLength() > 0,
                "the first timed-out attempt", seconds: 15);
            var attempt = (await Get($"/api/v1/webhook-endpoints/{endpoints[0]}/deliveries", flooding)).Data[0];
            Assert.Equal("failed", attempt.GetProperty("status").GetString());
            Assert.Equal(JsonValueKind.Null, attempt.GetProperty("responseCode").ValueKind);
        }
        finally
        {
            // Deleted endpoints end their queued deliveries: the next tests do not wait behind them.
            foreach (var id in endpoints) await Delete($"/api/v1/webhook-endpoints/{id}", flooding);
        }
    }
}
