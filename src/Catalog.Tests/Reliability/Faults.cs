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

    [Fact]
    public async Task while_the_database_is_away_requests_are_503_and_service_returns_by_itself()
    {
        var cluster = Environment.GetEnvironmentVariable("CATALOG_TEST_CLUSTER");
        Assert.False(string.IsNullOrEmpty(cluster), "run the tests with scripts/test: this test stops and resumes its PostgreSQL");

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

    private static async Task Cluster(string action, string name)
    {
        var script = Path.Combine(TestTools.RepositoryRoot, "scripts", "postgres.sh");
        using var process = Process.Start(new ProcessStartInfo("bash", [script, action, name]) { RedirectStandardError = true })!;
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"scripts/postgres.sh {action} {name}: {error}");
    }

    /// <summary>
    /// No event without its read model, no read model without its events, and every licensesCount equal to
    /// the license events of its stream, checked in SQL on the tables themselves.
    /// </summary>
    private static async Task ReadModelsAgreeWithTheEvents()
    {
        await using var connection = await OpenDatabase();
        async Task<long> Count(string sql)
        {
            await using var command = new NpgsqlCommand(sql, connection);
            return (long)(await command.ExecuteScalarAsync())!;
        }

        Assert.Equal(0, await Count("""
            select count(*) from catalog.mt_streams s
            where not exists (select 1 from catalog.mt_doc_product p where p.id = s.id and p.tenant_id = s.tenant_id)
            """));
        Assert.Equal(0, await Count("""
            select count(*) from catalog.mt_doc_product p
            where not exists (select 1 from catalog.mt_events e where e.stream_id = p.id and e.type = 'product_created')
            """));
        Assert.Equal(0, await Count("""
            select count(*) from catalog.mt_events e
            where e.type = 'license_issued'
              and not exists (select 1 from catalog.mt_doc_license l where l.id = (e.data ->> 'LicenseId')::uuid)
            """));
        Assert.Equal(0, await Count("""
            select count(*) from catalog.mt_doc_product p
            where (p.data ->> 'LicensesCount')::int <>
                  (select count(*) filter (where e.type = 'license_issued') - count(*) filter (where e.type = 'license_revoked')
                   from catalog.mt_events e where e.stream_id = p.id)
            """));
    }
}
