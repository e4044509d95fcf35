using System.Net.Http.Json;
using Npgsql;

namespace Catalog.Tests.Reliability;

/// <summary>
/// <c>Database:ReadFromStandby</c> with a multi-host connection string: a streaming standby of the tests' PostgreSQL
/// (pg_basebackup -R) whose replay the test pauses, so that what the standby serves is told apart from the primary.
/// </summary>
public class Standbys(AppFixture fixture) : ApiTest(fixture)
{
    [ClusterFact]
    public async Task lists_and_the_event_log_read_the_standby_while_writes_gets_and_validation_see_the_primary()
    {
        var primary = new NpgsqlConnectionStringBuilder(Environment.GetEnvironmentVariable("ConnectionStrings__Catalog"));
        var standbyPort = int.Parse(await TestTools.Postgres("standby", "test-standby", primary.Port.ToString(), (primary.Port + 20).ToString()));
        try
        {
            var standby = new NpgsqlConnectionStringBuilder(primary.ConnectionString) { Host = "127.0.0.1", Port = standbyPort, Pooling = false };
            var both = new NpgsqlConnectionStringBuilder(primary.ConnectionString) { Host = $"127.0.0.1:{primary.Port},127.0.0.1:{standbyPort}" };
            var client = await AClient();
            await using var service = await ServiceProcess.Start(new Dictionary<string, string>(Load.Unlimited)
            {
                ["ConnectionStrings__Catalog"] = both.ConnectionString,
                ["Database__ReadFromStandby"] = "true"
            });
            var http = Load.ClientFor(service.BaseUrl, client.Key);

            // The standby follows: what the primary commits, the list shows once replayed.
            await Create(http, "replayed");
            await Eventually(async () => (await Codes(http)).Contains("replayed"), "the standby to replay the first product");
            await Eventually(async () => (await Created(http)) == 1, "the standby's event log to list the first product");

            await Sql(standby.ConnectionString, "select pg_wal_replay_pause()");
            await Eventually(async () => await Scalar(standby.ConnectionString, "select pg_get_wal_replay_pause_state()") == "paused",
                "the standby's replay to pause");
            var paused = await Create(http, "paused");

            // Read-your-write paths see it at once: the GET by id, a license issued for it and validated.
            Assert.Equal(200, (int)(await http.GetAsync($"/api/v1/products/{paused}")).StatusCode);
            var issued = await http.PostAsync($"/api/v1/products/{paused}/licenses", null);
            Assert.Equal(201, (int)issued.StatusCode);
            var key = (await issued.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("data").GetProperty("key").GetString();
            var validated = await http.PostAsync("/api/v1/licenses/validate", Json($$"""{"key":"{{key}}"}"""));
            Assert.Equal("VALID", (await validated.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("data").GetProperty("code").GetString());

            // The lists and the event log are the standby's, which has not replayed it yet.
            Assert.DoesNotContain("paused", await Codes(http));
            Assert.Contains("replayed", await Codes(http));
            // Read from the standby too, another account's list holds none of this one's products.
            Assert.Empty(await Codes(Load.ClientFor(service.BaseUrl, (await AClient()).Key)));
            Assert.Equal(1, await Created(http));

            await Sql(standby.ConnectionString, "select pg_wal_replay_resume()");
            await Eventually(async () => (await Codes(http)).Contains("paused"), "the standby to catch up");

            // With the standby gone, the lists are the primary's.
            await TestTools.Postgres("stop", "test-standby");
            var list = await http.GetAsync("/api/v1/products");
            Assert.True(list.IsSuccessStatusCode, $"{(int)list.StatusCode}: " + string.Join("\n", service.Output.TakeLast(20)));
            Assert.Contains("paused", await Codes(http));
        }
        finally
        {
            await TestTools.Postgres("stop", "test-standby");
        }
    }

    private static async Task<string> Create(HttpClient http, string code)
    {
        var created = await http.PostAsync("/api/v1/products", Json($$"""{"name":"{{code}}","code":"{{code}}"}"""));
        Assert.Equal(201, (int)created.StatusCode);
        return (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("data").GetProperty("id").GetString()!;
    }

    private static async Task<List<string>> Codes(HttpClient http) =>
        (await http.GetFromJsonAsync<JsonElement>("/api/v1/products")).GetProperty("data").EnumerateArray()
        .Select(x => x.GetProperty("code").GetString()!).ToList();

    private static async Task<int> Created(HttpClient http) =>
        (await http.GetFromJsonAsync<JsonElement>("/api/v1/events?type=product.created")).GetProperty("data").GetArrayLength();

    private static async Task<string?> Scalar(string connectionString, string sql)
    {
        await using var connection = await ApiTest.OpenDatabase(connectionString);
        return (await new NpgsqlCommand(sql, connection).ExecuteScalarAsync())?.ToString();
    }

    private static async Task Sql(string connectionString, string sql)
    {
        await using var connection = await ApiTest.OpenDatabase(connectionString);
        await new NpgsqlCommand(sql, connection).ExecuteNonQueryAsync();
    }
}
