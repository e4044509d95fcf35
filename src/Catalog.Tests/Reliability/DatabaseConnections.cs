using Catalog.Conventions;
using Catalog.Hosting;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using System.Net.Http.Json;
using System.Text.Json;

namespace Catalog.Tests.Reliability;

/// <summary>
/// The service's connections prepare the statements they repeat and skip Npgsql's DISCARD ALL on every return to
/// the pool (bench/README.md: half of PostgreSQL's work per request), unless the operator's connection string
/// decides otherwise; their time zone is UTC, always. A read that runs on a connection the database dropped runs again
/// on a fresh one.
/// </summary>
public class DatabaseConnections(AppFixture fixture) : ApiTest(fixture)
{
    [Fact]
    public async Task the_service_prepares_statements_and_does_not_reset_pooled_connections()
    {
        var client = await AClient();
        var store = Host.Services.GetRequiredService<IDocumentStore>();
        // The account's database: the one, or its shard.
        var database = await store.Storage.FindOrCreateDatabase(client.AccountId.ToString());
        await using var connection = database.CreateConnection();
        var settings = new NpgsqlConnectionStringBuilder(connection.ConnectionString);

        Assert.Equal(64, settings.MaxAutoPrepare);
        Assert.True(settings.NoResetOnClose);
        Assert.Equal("UTC", settings.Timezone);
        // And it still serves with them.
        await CreateProduct(client);
        await CreateProduct(client);
    }

    [Fact]
    public async Task reads_without_a_session_run_again_on_a_fresh_connection_when_the_database_dropped_theirs()
    {
        var client = await AClient();
        var product = await CreateProduct(client);
        var license = await IssueLicense(client, product.Id);
        // A node whose connections, to every database of this deployment (the one, or the directory and the shards), carry a name.
        var name = "catalog-dropped-" + Guid.NewGuid().ToString("N")[..8];
        var environment = new Dictionary<string, string>(Load.Unlimited);
        foreach (System.Collections.DictionaryEntry variable in Environment.GetEnvironmentVariables())
            if (variable.Key is "ConnectionStrings__Catalog" || ((string)variable.Key).StartsWith("Sharding__Databases__", StringComparison.Ordinal))
                environment[(string)variable.Key] = variable.Value + ";Application Name=" + name;
        await using var service = await ServiceProcess.Start(environment);
        var http = Load.ClientFor(service.BaseUrl, client.Key);

        async Task<HttpResponseMessage> Ok(Task<HttpResponseMessage> request, string what)
        {
            var answer = await request;
            Assert.True(answer.StatusCode == System.Net.HttpStatusCode.OK, $"{what}: {(int)answer.StatusCode} {await answer.Content.ReadAsStringAsync()}");
            return answer;
        }
        async Task TheReadsAnswer()
        {
            await Ok(http.GetAsync($"/api/v1/products/{product.Id}"), "the product");
            await Ok(http.GetAsync("/api/v1/products"), "the products");
            var validated = await Ok(http.PostAsJsonAsync("/api/v1/licenses/validate", new { key = license.Key }), "the validation");
            Assert.True((await validated.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("data").GetProperty("valid").GetBoolean());
        }
        await TheReadsAnswer(); // the service's pools now hold connections

        // The database drops every one of them, idle in the pools, as a restart or a failover does.
        await using (var admin = new NpgsqlConnection(Environment.GetEnvironmentVariable("ConnectionStrings__Catalog")))
        {
            await admin.OpenAsync();
            var terminate = new NpgsqlCommand("select count(*) from (select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1) x", admin)
                { Parameters = { new() { Value = name } } };
            Assert.True((long)(await terminate.ExecuteScalarAsync())! > 0, "the service held no connection to drop");
            var left = new NpgsqlCommand("select count(*) from pg_stat_activity where application_name = $1", admin) { Parameters = { new() { Value = name } } };
            for (var i = 0; i < 50 && (long)(await left.ExecuteScalarAsync())! > 0; i++) await Task.Delay(20);
        }

        // The next reads find their pooled connections dead, and answer from fresh ones: no 503.
        await TheReadsAnswer();
    }

    [Fact]
    public void what_the_connection_string_sets_wins()
    {
        var settings = new NpgsqlConnectionStringBuilder(
            Database.WithServiceDefaults("Host=db;Database=catalog;Max Auto Prepare=0;No Reset On Close=false"));

        Assert.Equal(0, settings.MaxAutoPrepare);
        Assert.False(settings.NoResetOnClose);
        Assert.Equal("db", settings.Host);
    }

    [Fact]
    public void the_session_time_zone_is_utc_whatever_the_string_says()
    {
        // An appended event's timestamp is the database's UTC wall-clock time, read in the session's time zone.
        Assert.Equal("UTC", new NpgsqlConnectionStringBuilder(
            Database.WithServiceDefaults("Host=db;Database=catalog;Timezone=Asia/Kathmandu")).Timezone);
    }

    [Fact]
    public void with_several_hosts_every_connection_goes_to_the_primary_unless_the_string_says_otherwise()
    {
        Assert.Equal(TargetSessionAttributes.Primary.ToString(), new NpgsqlConnectionStringBuilder(
            Database.WithServiceDefaults("Host=a:5432,b:5432;Database=catalog")).TargetSessionAttributes, ignoreCase: true);
        Assert.Equal("prefer-standby", new NpgsqlConnectionStringBuilder(
            Database.WithServiceDefaults("Host=a,b;Database=catalog;Target Session Attributes=prefer-standby")).TargetSessionAttributes);
        Assert.Null(new NpgsqlConnectionStringBuilder(Database.WithServiceDefaults("Host=a;Database=catalog")).TargetSessionAttributes);
    }
}
