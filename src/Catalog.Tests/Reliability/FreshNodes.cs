using System.Diagnostics;

namespace Catalog.Tests.Reliability;

/// <summary>
/// A node started on a deployment where no node runs yet takes the webhook feeds itself and delivers within seconds,
/// on one database and with shards (each shard's feed): nothing waits for a periodic reassignment before the first
/// delivery. Each deployment is a fresh one of the test's own, so that no other node (the shared host) runs the feeds.
/// </summary>
public class FreshNodes(AppFixture fixture) : ApiTest(fixture)
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task a_fresh_node_delivers_webhooks_within_seconds_of_its_start(bool sharded)
    {
        await using var directory = await EmptyDatabase.Create(sharded ? "freshdir" : "fresh");
        await using var east = sharded ? await EmptyDatabase.Create("fresheast") : null;
        await using var west = sharded ? await EmptyDatabase.Create("freshwest") : null;
        var environment = new Dictionary<string, string>(Load.Unlimited)
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["DOTNET_ENVIRONMENT"] = "Production",
            ["ConnectionStrings__Catalog"] = directory.ConnectionString,
        };
        // This run's own shard settings, if any, are not this deployment's.
        foreach (var shard in StorageMode.Shards.Keys) environment[$"Sharding__Databases__{shard}"] = "";
        if (sharded)
        {
            environment["Sharding__Databases__east"] = east!.ConnectionString;
            environment["Sharding__Databases__west"] = west!.ConnectionString;
        }
        var applied = await CommandLineRunner.Run(["db-apply"], environment);
        Assert.True(applied.ExitCode == 0, applied.Output + applied.Error);
        var keys = new List<string>();
        foreach (var shard in sharded ? new string?[] { "east", "west" } : [null])
            keys.Add(await Shards.KeyFor(environment, shard is null ? await AnAccount(environment) : await Shards.AccountIn(environment, shard)));

        await using var node = await ServiceProcess.Start(environment);
        var started = Stopwatch.StartNew();
        var receivers = new List<Webhooks.Receiver>();
        try
        {
            foreach (var key in keys)
            {
                var client = Load.ClientFor(node.BaseUrl, key);
                var receiver = await Webhooks.Receiver.Start();
                receivers.Add(receiver);
                var endpoint = await client.PostAsync("/api/v1/webhook-endpoints", Json($$"""{"url":"{{receiver.Url}}","events":["product.created"]}"""));
                Assert.True((int)endpoint.StatusCode == 201, await endpoint.Content.ReadAsStringAsync());
                var product = await client.PostAsync("/api/v1/products", Json("""{"name":"Fresh","code":"fresh"}"""));
                Assert.True((int)product.StatusCode == 201, await product.Content.ReadAsStringAsync());
            }

            // Within seconds: a first delivery that waited for a 30-second reassignment cycle would miss this.
            await Eventually(() => Task.FromResult(receivers.All(x => !x.Requests.IsEmpty)),
                $"every account's first delivery from a fresh node ({started.Elapsed.TotalSeconds:F1} s since it was ready)", seconds: 15);
        }
        finally
        {
            foreach (var receiver in receivers) await receiver.DisposeAsync();
        }
    }

    private static async Task<string> AnAccount(Dictionary<string, string> environment)
    {
        var created = await CommandLineRunner.Run(["accounts", "create", "--name", "Fresh", "--json"], environment);
        Assert.True(created.ExitCode == 0, created.Output + created.Error);
        return created.LastJson.GetProperty("id").GetString()!;
    }
}
