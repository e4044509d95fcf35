using System.Net.Http.Headers;
using Npgsql;

namespace Catalog.Tests.Reliability;

/// <summary>
/// Accounts sharded over two databases, configured by the contract's settings alone (ConnectionStrings:Catalog the
/// directory, Sharding:Databases the shards), run as an operator runs it: db-apply, accounts placed by the command
/// line, the published service in Production mode.
/// </summary>
public class Shards(AppFixture fixture) : ApiTest(fixture)
{
    [Fact]
    public async Task accounts_live_in_their_shard_and_every_promise_holds_across_shards()
    {
        await using var directory = await EmptyDatabase.Create("dir");
        await using var east = await EmptyDatabase.Create("east");
        await using var west = await EmptyDatabase.Create("west");
        var environment = new Dictionary<string, string>(Load.Unlimited)
        {
            // The commands as an operator runs them against a deployment: in Production, where nothing is created on first use.
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["DOTNET_ENVIRONMENT"] = "Production",
            ["ConnectionStrings__Catalog"] = directory.ConnectionString,
            ["Sharding__Databases__east"] = east.ConnectionString,
            ["Sharding__Databases__west"] = west.ConnectionString,
        };

        // db-apply makes every database; db-assert then finds each as configured.
        var applied = await CommandLineRunner.Run(["db-apply"], environment);
        Assert.True(applied.ExitCode == 0, applied.Output + applied.Error);
        var asserted = await CommandLineRunner.Run(["db-assert"], environment);
        Assert.True(asserted.ExitCode == 0, asserted.Output + asserted.Error);

        // Placed by name, and by default on the shard with the fewest accounts.
        var inEast = await AccountIn(environment, "east");
        var inWest = await AccountIn(environment, "west");
        var alsoEast = await AccountIn(environment, "east");
        var placed = await CommandLineRunner.Run(["accounts", "create", "--name", "Anywhere", "--json"], environment);
        Assert.True(placed.ExitCode == 0, placed.Output + placed.Error);
        Assert.Equal("west", placed.LastJson.GetProperty("database").GetString()); // east has two, west one
        var unknown = await CommandLineRunner.Run(["accounts", "create", "--name", "Nowhere", "--database", "north"], environment);
        Assert.NotEqual(0, unknown.ExitCode);
        Assert.Contains("no shard is named 'north'", unknown.Output + unknown.Error);

        // A command or a node not given the shards would take the directory for the one database: refused.
        var unsharded = environment.Where(x => !x.Key.StartsWith("Sharding__")).ToDictionary();
        var command = await CommandLineRunner.Run(["accounts", "create", "--name", "Unsharded"], unsharded);
        Assert.NotEqual(0, command.ExitCode);
        Assert.Contains("directory of a deployment with shards", command.Error);
        var service = await CommandLineRunner.Run([], new Dictionary<string, string>(unsharded) { ["ASPNETCORE_URLS"] = "http://127.0.0.1:0" });
        Assert.NotEqual(0, service.ExitCode);
        Assert.Contains("directory of a deployment with shards", service.Output + service.Error);

        // An account whose place was lost before the node started (it learns the places at start).
        var anywhere = placed.LastJson.GetProperty("id").GetString()!;
        await using (var connection = await OpenDatabase(directory.ConnectionString))
            await new NpgsqlCommand($"delete from catalog.mt_tenant_assignments where tenant_id = '{anywhere}'", connection).ExecuteNonQueryAsync();

        await using var node = await ServiceProcess.Start(environment);
        var eastKey = await KeyFor(environment, inEast);
        var westKey = await KeyFor(environment, inWest);
        var eastClient = Load.ClientFor(node.BaseUrl, eastKey);
        var westClient = Load.ClientFor(node.BaseUrl, westKey);

        // Each shard's feed delivers its accounts' events to their endpoints, and to no other account's.
        await using var eastReceiver = await Webhooks.Receiver.Start();
        await using var westReceiver = await Webhooks.Receiver.Start();
        var secrets = new List<string>();
        foreach (var (client, receiver) in new[] { (eastClient, eastReceiver), (westClient, westReceiver) })
            for (var attempt = 0; attempt < 2; attempt++) // with a key, sent twice: the second is answered the first answer
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/webhook-endpoints")
                    { Content = Json($$"""{"url":"{{receiver.Url}}","events":["product.created"]}""") };
                request.Headers.Add("Idempotency-Key", "hook");
                var created = await client.SendAsync(request);
                var text = await created.Content.ReadAsStringAsync();
                Assert.True((int)created.StatusCode == 201, text);
                secrets.Add(JsonDocument.Parse(text).RootElement.GetProperty("data").GetProperty("secret").GetString()!);
            }
        Assert.All(secrets, x => Assert.StartsWith("whsec_", x));
        Assert.Equal(secrets[0], secrets[1]);
        Assert.NotEqual(secrets[0], secrets[2]);
        // No stored answer holds a secret (the directory keeps Wolverine's, with shards): the repeat was answered from
        // the endpoint, which keeps its secret sealed.
        await using (var connection = await OpenDatabase(directory.ConnectionString))
        {
            var kept = (string)(await new NpgsqlCommand("select coalesce(string_agg(t::text, ' '), '') from catalog.wolverine_deduplicated_responses t", connection).ExecuteScalarAsync())!;
            Assert.All(secrets, x => Assert.DoesNotContain(x["whsec_".Length..], kept));
        }

        // An account without a place (its assignment lost) is refused (503), never placed silently on some shard
        // where its data would not be.
        var unplaced = Load.ClientFor(node.BaseUrl, await KeyFor(environment, anywhere));
        var refused = await unplaced.GetAsync("/api/v1/products");
        Assert.Equal(503, (int)refused.StatusCode);
        Assert.Contains("has no shard", await refused.Content.ReadAsStringAsync());
        Assert.Equal(0, await Count(directory, "mt_tenant_assignments", where: $"tenant_id = '{anywhere}'"));

        // Each account's product, with an Idempotency-Key: a repeat answers the first answer.
        var eastProduct = await CreateProduct(eastClient, "east-app", "first");
        Assert.Equal(eastProduct, await CreateProduct(eastClient, "east-app", "first"));
        var westProduct = await CreateProduct(westClient, "west-app", "first"); // the same key, another account: its own
        Assert.NotEqual(eastProduct, westProduct);

        // Data sits in its account's shard, and nowhere else.
        Assert.Equal(1, await Count(east, "mt_doc_product"));
        Assert.Equal(1, await Count(west, "mt_doc_product"));
        Assert.Equal(0, await Count(directory, "mt_doc_product", missingIsZero: true));

        // A license key finds its account from either shard; a revoked one is refused; keys are in the directory.
        var eastLicense = await IssueLicense(eastClient, eastProduct);
        var westLicense = await IssueLicense(westClient, westProduct);
        Assert.Equal(200, await Validate(node, eastLicense.Key));
        Assert.Equal(200, await Validate(node, westLicense.Key));
        Assert.Equal(2, await Count(directory, "mt_doc_licensekeyentry"));
        Assert.Equal(200, (int)(await westClient.PostAsync($"/api/v1/licenses/{westLicense.Id}/revoke", Json("{}"))).StatusCode);
        await Task.Delay(Catalog.Licenses.LicenseKeyDirectory.CacheFor + TimeSpan.FromMilliseconds(200));
        Assert.Equal(401, await Validate(node, westLicense.Key));
        Assert.Equal(200, await Validate(node, eastLicense.Key));

        // One account sees its own alone: lists, reads by id, and the event log.
        var eastList = JsonDocument.Parse(await eastClient.GetStringAsync("/api/v1/products")).RootElement.GetProperty("data");
        Assert.Equal([eastProduct], eastList.EnumerateArray().Select(x => x.GetProperty("id").GetString()));
        Assert.Equal(404, (int)(await eastClient.GetAsync($"/api/v1/products/{westProduct}")).StatusCode);
        var eastEvents = JsonDocument.Parse(await eastClient.GetStringAsync("/api/v1/events")).RootElement.GetProperty("data");
        Assert.Equal(["product.created", "license.issued"], eastEvents.EnumerateArray().Select(x => x.GetProperty("type").GetString()));
        Assert.Equal(1, JsonDocument.Parse(await eastClient.GetStringAsync($"/api/v1/products/{eastProduct}")).RootElement
            .GetProperty("data").GetProperty("licensesCount").GetInt32());

        // The operators' rebuild covers every shard: read models lost in both come back from each shard's events.
        foreach (var shard in new[] { east, west })
        {
            await using var connection = await OpenDatabase(shard.ConnectionString);
            await new NpgsqlCommand("delete from catalog.mt_doc_license", connection).ExecuteNonQueryAsync();
        }
        var rebuilt = await CommandLineRunner.Run(["projections", "rebuild"], environment);
        Assert.True(rebuilt.ExitCode == 0, rebuilt.Output + rebuilt.Error);
        Assert.Equal(1, await Count(east, "mt_doc_license"));
        Assert.Equal(1, await Count(west, "mt_doc_license"));
        Assert.Equal(200, (int)(await eastClient.GetAsync($"/api/v1/licenses/{eastLicense.Id}")).StatusCode);

        await Eventually(() => Task.FromResult(Codes(eastReceiver).Any() && Codes(westReceiver).Any()), "a delivery from each shard");
        Assert.Equal(["east-app"], Codes(eastReceiver));
        Assert.Equal(["west-app"], Codes(westReceiver));
    }

    private static IEnumerable<string?> Codes(Webhooks.Receiver receiver) =>
        receiver.Requests.Select(x => JsonDocument.Parse(x.Body).RootElement.GetProperty("data").GetProperty("code").GetString());

    /// <summary>An account placed on the shard by the command line.</summary>
    public static async Task<string> AccountIn(Dictionary<string, string> environment, string shard)
    {
        var created = await CommandLineRunner.Run(["accounts", "create", "--name", shard, "--database", shard, "--json"], environment);
        Assert.True(created.ExitCode == 0, created.Output + created.Error);
        Assert.Equal(shard, created.LastJson.GetProperty("database").GetString());
        return created.LastJson.GetProperty("id").GetString()!;
    }

    /// <summary>A key with every scope for the account, made by the command line.</summary>
    public static async Task<string> KeyFor(Dictionary<string, string> environment, string account)
    {
        var created = await CommandLineRunner.Run(["api-keys", "create", "--account", account, "--scopes", string.Join(",", AllScopes), "--json"], environment);
        Assert.True(created.ExitCode == 0, created.Output + created.Error);
        return created.LastJson.GetProperty("key").GetString()!;
    }

    private static async Task<string> CreateProduct(HttpClient client, string code, string idempotencyKey)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/products") { Content = Json($$"""{"name":"App","code":"{{code}}"}""") };
        request.Headers.Add("Idempotency-Key", idempotencyKey);
        var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == 201, text);
        return JsonDocument.Parse(text).RootElement.GetProperty("data").GetProperty("id").GetString()!;
    }

    private static async Task<(string Id, string Key)> IssueLicense(HttpClient client, string product)
    {
        var response = await client.PostAsync($"/api/v1/products/{product}/licenses", null);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == 201, text);
        var data = JsonDocument.Parse(text).RootElement.GetProperty("data");
        return (data.GetProperty("id").GetString()!, data.GetProperty("key").GetString()!);
    }

    private static async Task<int> Validate(ServiceProcess node, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/client/validate") { Content = Json("{}") };
        request.Headers.Authorization = new AuthenticationHeaderValue("License", key);
        return (int)(await node.Http.SendAsync(request)).StatusCode;
    }

    private static async Task<long> Count(EmptyDatabase database, string table, bool missingIsZero = false, string where = "true")
    {
        await using var connection = await OpenDatabase(database.ConnectionString);
        try
        {
            return (long)(await new NpgsqlCommand($"select count(*) from catalog.{table} where {where}", connection).ExecuteScalarAsync())!;
        }
        catch (PostgresException e) when (missingIsZero && e.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            return 0;
        }
    }
}
