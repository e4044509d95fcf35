using System.Net;
using System.Net.Http.Json;
using System.Diagnostics;
using Npgsql;

namespace Catalog.Tests.Reliability;

/// <summary>The service killed mid-load, and the database taken away mid-load: nothing acknowledged is lost.</summary>
public class Faults(AppFixture fixture) : ApiTest(fixture)
{
    [Fact]
    public async Task a_service_killed_mid_load_loses_nothing_it_acknowledged()
    {
        var client = await AClient();
        var load = new Load();
        using (var stop = new CancellationTokenSource())
        {
            var service = await ServiceProcess.Start(Load.Unlimited);
            var running = load.Run([Load.ClientFor(service.BaseUrl, client.Key)], workers: 8, stop.Token);
            await Task.Delay(TimeSpan.FromSeconds(3));
            service.Kill(); // kill -9, mid-request
            await Task.Delay(300);
            stop.Cancel();
            await running;
            await service.DisposeAsync();
        }
        Assert.True(load.CreatedProducts.Count > 5, $"only {load.CreatedProducts.Count} products were created before the kill");

        await using var restarted = await ServiceProcess.Start(Load.Unlimited);
        var http = Load.ClientFor(restarted.BaseUrl, client.Key);
        foreach (var id in load.CreatedProducts)
            Assert.Equal(200, (int)(await http.GetAsync($"/api/v1/products/{id}")).StatusCode);
        foreach (var id in load.IssuedLicenses)
            Assert.Equal(200, (int)(await http.GetAsync($"/api/v1/licenses/{id}")).StatusCode);
        await ReadModelsAgreeWithTheEvents();
    }

    [ClusterFact]
    public async Task while_the_database_is_away_requests_are_503_and_service_returns_by_itself()
    {
        var cluster = ClusterFactAttribute.Cluster;

        var client = await AClient();
        await using var service = await ServiceProcess.Start(Load.Unlimited);
        var load = new Load();
        var http = Load.ClientFor(service.BaseUrl, client.Key);
        DateTimeOffset down, back;
        using (var stop = new CancellationTokenSource())
        {
            var running = load.Run([http], workers: 4, stop.Token);
            await Task.Delay(TimeSpan.FromSeconds(2));
            down = DateTimeOffset.UtcNow;
            await Cluster("stop", cluster!);
            var unavailable = await http.GetAsync("/api/v1/products");
            Assert.Equal(503, (int)unavailable.StatusCode);
            Assert.NotNull(unavailable.Headers.RetryAfter);
            Assert.Equal(503, (int)(await service.Http.GetAsync("/health/ready")).StatusCode);
            Assert.Equal(200, (int)(await service.Http.GetAsync("/health/live")).StatusCode);
            await Task.Delay(TimeSpan.FromSeconds(10));
            await Cluster("resume", cluster!);
            back = DateTimeOffset.UtcNow;
            await Task.Delay(TimeSpan.FromSeconds(6));
            stop.Cancel();
            await running;
        }
        NpgsqlConnection.ClearAllPools(); // this process's own host had its connections cut too

        var answers = load.Answers.ToList();
        Assert.DoesNotContain(answers, x => x.Status == 500);
        Assert.All(answers, x => Assert.Contains(x.Status, new[] { 201, 503 }));
        Assert.All(answers, x => Assert.True(x.Took < TimeSpan.FromSeconds(20), $"a request hung for {x.Took}"));
        Assert.Contains(answers, x => x.Status == 503 && x.At > down && x.At < back);
        // Serving again within 5 s of the database's return, without a restart.
        Assert.Contains(answers, x => x.Status == 201 && x.At > back && x.At < back.AddSeconds(5));

        foreach (var id in load.CreatedProducts)
            Assert.Equal(200, (int)(await http.GetAsync($"/api/v1/products/{id}")).StatusCode);
        await ReadModelsAgreeWithTheEvents();
    }

    [ClusterFact]
    public async Task a_service_started_while_the_database_is_away_serves_within_five_seconds_of_its_return()
    {
        var cluster = ClusterFactAttribute.Cluster;
        var client = await AClient();

        await Cluster("stop", cluster!);
        ServiceProcess service;
        try
        {
            service = await ServiceProcess.Start(Load.Unlimited, waitFor: "/health/live");
            var http = Load.ClientFor(service.BaseUrl, client.Key);
            Assert.Equal(503, (int)(await service.Http.GetAsync("/health/ready")).StatusCode);
            var unavailable = await http.PostAsJsonAsync("/api/v1/products", new { name = "Early", code = "early" });
            Assert.Equal(503, (int)unavailable.StatusCode);
            Assert.NotNull(unavailable.Headers.RetryAfter);
            Assert.Equal("application/problem+json", unavailable.Content.Headers.ContentType?.MediaType);
            await Task.Delay(TimeSpan.FromSeconds(3));
            Assert.Equal(200, (int)(await service.Http.GetAsync("/health/live")).StatusCode);
        }
        finally
        {
            await Cluster("resume", cluster!);
        }
        var back = DateTimeOffset.UtcNow;
        NpgsqlConnection.ClearAllPools(); // this process's own host had its connections cut too

        await using (service)
        {
            var http = Load.ClientFor(service.BaseUrl, client.Key);
            HttpResponseMessage created;
            do
            {
                created = await http.PostAsJsonAsync("/api/v1/products", new { name = "Served", code = $"served-{Guid.NewGuid():N}" });
                if (created.StatusCode != HttpStatusCode.Created) await Task.Delay(100);
            } while (created.StatusCode != HttpStatusCode.Created && DateTimeOffset.UtcNow < back.AddSeconds(5));
            Assert.True(created.StatusCode == HttpStatusCode.Created,
                $"still {(int)created.StatusCode} five seconds after PostgreSQL came back: {await created.Content.ReadAsStringAsync()}");
            Assert.Equal(200, (int)(await service.Http.GetAsync("/health/ready")).StatusCode);
        }
    }

    private static Task Cluster(string action, string name) => TestTools.Postgres(action, name);
}
