using System.Net.Http.Headers;

namespace Catalog.Tests.Reliability;

/// <summary>
/// Floating licenses on several service processes: lease grants exact over two nodes (one database, and two shards),
/// and a machine's death and a lease's expiry recorded exactly once, in time, with three nodes and one of them killed.
/// </summary>
public class FloatingAcrossNodes(AppFixture fixture) : ApiTest(fixture)
{
    private static readonly Dictionary<string, string> Unlimited = new(Load.Unlimited)
    {
        ["RateLimit__ClientPermitsPerSecond"] = "1000000",
        ["RateLimit__ClientBurst"] = "1000000",
        // A license key's first requests, before a node remembers it as valid, count against its address.
        ["RateLimit__AnonymousPermitsPerSecond"] = "1000000",
        ["RateLimit__AnonymousBurst"] = "1000000"
    };

    [Fact]
    public async Task two_thousand_lease_requests_over_two_nodes_get_exactly_max_concurrent_grants()
    {
        await using var database = await OwnDatabase.Create("leases");
        var environment = new Dictionary<string, string>(Unlimited) { ["ConnectionStrings__Catalog"] = database.ConnectionString };
        var vendor = await database.AClient(environment);
        await using var a = await ServiceProcess.Start(environment);
        await using var b = await ServiceProcess.Start(environment);
        await ExactlyMaxConcurrent([a, b], vendor.Key);
    }

    [Fact]
    public async Task two_thousand_lease_requests_over_two_nodes_of_two_shards_get_exactly_max_concurrent_grants()
    {
        await using var directory = await EmptyDatabase.Create("leasedir");
        await using var east = await EmptyDatabase.Create("leaseeast");
        await using var west = await EmptyDatabase.Create("leasewest");
        var environment = new Dictionary<string, string>(Unlimited)
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["DOTNET_ENVIRONMENT"] = "Production",
            ["ConnectionStrings__Catalog"] = directory.ConnectionString,
            ["Sharding__Databases__east"] = east.ConnectionString,
            ["Sharding__Databases__west"] = west.ConnectionString,
        };
        var applied = await CommandLineRunner.Run(["db-apply"], environment);
        Assert.True(applied.ExitCode == 0, applied.Output + applied.Error);
        await Shards.AccountIn(environment, "east");
        var key = await Shards.KeyFor(environment, await Shards.AccountIn(environment, "west"));
        await using var a = await ServiceProcess.Start(environment);
        await using var b = await ServiceProcess.Start(environment);
        await ExactlyMaxConcurrent([a, b], key);
    }

    /// <summary>2,000 requests at once for one license with maxConcurrent 25, half to each node: 25 grants, 1,975 refusals.</summary>
    private static async Task ExactlyMaxConcurrent(ServiceProcess[] nodes, string apiKey)
    {
        var vendor = Load.ClientFor(nodes[0].BaseUrl, apiKey);
        var (licenseKey, licenseId, code) = await AFloatingLicense(vendor, """{"name":"Floating","maxConcurrent":25}""");
        var clients = nodes.Select(x => LicenseClient(x.BaseUrl, licenseKey)).ToArray();
        var answers = await Task.WhenAll(Enumerable.Range(0, 2000).Select(i =>
            clients[i % 2].PostAsync("/api/v1/client/leases", Json($$"""{"product":"{{code}}"}"""))));
        var statuses = answers.Select(x => (int)x.StatusCode).ToArray();
        Assert.Equal(25, statuses.Count(x => x == 201));
        Assert.True(statuses.All(x => x is 201 or 409), string.Join(",", statuses.Where(x => x is not (201 or 409)).Distinct()) + "\n"
            + string.Join("\n", nodes.SelectMany(x => x.Output).Where(x => x.Contains("Exception")).Distinct().Take(10)));
        foreach (var node in nodes)
        {
            var license = JsonDocument.Parse(await Load.ClientFor(node.BaseUrl, apiKey).GetStringAsync($"/api/v1/licenses/{licenseId}"))
                .RootElement.GetProperty("data");
            Assert.Equal(25, license.GetProperty("leasesCount").GetInt32());
        }
    }

    [Fact]
    public async Task a_death_and_an_expiry_are_recorded_once_within_a_minute_with_three_nodes_and_one_killed()
    {
        await using var database = await OwnDatabase.Create("sweeps");
        var environment = new Dictionary<string, string>(Unlimited) { ["ConnectionStrings__Catalog"] = database.ConnectionString };
        var client = await database.AClient(environment);
        await using var a = await ServiceProcess.Start(environment);
        await using var b = await ServiceProcess.Start(environment);
        await using var c = await ServiceProcess.Start(environment);
        var vendor = Load.ClientFor(a.BaseUrl, client.Key);
        var (licenseKey, _, code) = await AFloatingLicense(vendor,
            """{"name":"Floating","heartbeatSeconds":60,"maxConcurrent":5,"leaseSeconds":60,"maxMachines":5}""");
        var software = LicenseClient(b.BaseUrl, licenseKey);
        Assert.Equal(201, (int)(await software.PostAsync("/api/v1/client/machines", Json($$"""{"fingerprint":"crashes","product":"{{code}}"}"""))).StatusCode);
        Assert.Equal(201, (int)(await software.PostAsync("/api/v1/client/leases", Json($$"""{"fingerprint":"crashes","product":"{{code}}"}"""))).StatusCode);
        // The software crashes: no heartbeat, no release. A node dies too.
        c.Kill();

        // Dead 60 s after its activation, the lease expired 60 s after its grant: each recorded within 60 s after, once.
        async Task<JsonElement[]> Events(string type) =>
            JsonDocument.Parse(await vendor.GetStringAsync($"/api/v1/events?type={type}")).RootElement.GetProperty("data").EnumerateArray().ToArray();
        await Eventually(async () => (await Events("machine.deactivated")).Length > 0 && (await Events("lease.expired")).Length > 0,
            "the death and the expiry recorded", seconds: 150);
        await Task.Delay(TimeSpan.FromSeconds(20)); // more than a sweep of every live node: none records them again
        var dead = Assert.Single(await Events("machine.heartbeat.dead")).GetProperty("data");
        var deactivated = Assert.Single(await Events("machine.deactivated")).GetProperty("data");
        var expired = Assert.Single(await Events("lease.expired")).GetProperty("data");
        Assert.Equal("heartbeat", deactivated.GetProperty("reason").GetString());
        Assert.True(dead.GetProperty("recordedAt").GetDateTimeOffset() - dead.GetProperty("expiredAt").GetDateTimeOffset() <= TimeSpan.FromSeconds(60));
        Assert.True(expired.GetProperty("recordedAt").GetDateTimeOffset() - expired.GetProperty("expiredAt").GetDateTimeOffset() <= TimeSpan.FromSeconds(60));
        var validation = await software.PostAsync("/api/v1/client/validate", Json($$"""{"fingerprint":"crashes","product":"{{code}}"}"""));
        Assert.Equal("HEARTBEAT_DEAD", JsonDocument.Parse(await validation.Content.ReadAsStringAsync()).RootElement.GetProperty("data").GetProperty("code").GetString());
    }

    /// <summary>A product, a policy with these terms, and a license under it: its key, id and the product's code.</summary>
    private static async Task<(string Key, string Id, string Code)> AFloatingLicense(HttpClient vendor, string policy)
    {
        var code = "floating-" + Guid.NewGuid().ToString("N")[..8];
        var product = await vendor.PostAsync("/api/v1/products", Json($$"""{"name":"Floating","code":"{{code}}"}"""));
        Assert.Equal(201, (int)product.StatusCode);
        var productId = JsonDocument.Parse(await product.Content.ReadAsStringAsync()).RootElement.GetProperty("data").GetProperty("id").GetString();
        var created = await vendor.PostAsync($"/api/v1/products/{productId}/policies", Json(policy));
        Assert.Equal(201, (int)created.StatusCode);
        var policyId = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("data").GetProperty("id").GetString();
        var issued = await vendor.PostAsync($"/api/v1/products/{productId}/licenses", Json($$"""{"policyId":"{{policyId}}"}"""));
        Assert.Equal(201, (int)issued.StatusCode);
        var license = JsonDocument.Parse(await issued.Content.ReadAsStringAsync()).RootElement.GetProperty("data");
        return (license.GetProperty("key").GetString()!, license.GetProperty("id").GetString()!, code);
    }

    /// <summary>
    /// The software's client: at most 32 connections to a node, as an HTTP client pool would hold, so that the requests
    /// queue on the license's lock rather than on a node's database connections (100 by default).
    /// </summary>
    private static HttpClient LicenseClient(string baseUrl, string licenseKey)
    {
        var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 32 })
            { BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromSeconds(180) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("License", licenseKey);
        return http;
    }
}
