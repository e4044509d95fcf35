using Catalog.Secrets;
using Catalog.Conventions;
using Catalog.LicenseFiles;
using Catalog.Licenses;
using Catalog.Products;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using Catalog.Hosting;
using Catalog.Tests.LicenseFiles;
using Catalog.Tests.Webhooks;
using Catalog.Webhooks;

namespace Catalog.Tests.Reliability;

/// <summary>
/// Master key rotation as an operator does it, on a database of its own (the shared host's key must not change):
/// key A seals everything; the nodes move to key B with A among the previous keys; <c>secrets reseal</c>; A leaves
/// the configuration. Everything sealed under A still works under B alone, and a node with A alone is refused.
/// </summary>
public class RotatingTheMasterKey(AppFixture fixture) : ApiTest(fixture)
{
    [Fact]
    public async Task after_a_reseal_the_old_key_can_go_and_every_file_still_signs_and_every_webhook_secret_still_verifies()
    {
        await using var database = await OwnDatabase.Create("rotation");
        await Rotate(new Dictionary<string, string> { ["ConnectionStrings__Catalog"] = database.ConnectionString });
    }

    /// <summary>With shards: webhook secrets live in each shard, signing keys in the directory.</summary>
    [Fact]
    public async Task with_shards_the_reseal_reaches_the_directory_and_every_shard()
    {
        await using var directory = await EmptyDatabase.Create("rot_dir");
        await using var east = await EmptyDatabase.Create("rot_east");
        await using var west = await EmptyDatabase.Create("rot_west");
        var deployment = new Dictionary<string, string>
        {
            ["ConnectionStrings__Catalog"] = directory.ConnectionString,
            ["Sharding__Databases__east"] = east.ConnectionString,
            ["Sharding__Databases__west"] = west.ConnectionString,
        };
        var applied = await CommandLineRunner.Run(["db-apply"], deployment);
        Assert.True(applied.ExitCode == 0, applied.Output + applied.Error);
        await Rotate(deployment);
    }

    private static async Task Rotate(Dictionary<string, string> deployment)
    {
        string a = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)), b = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        Dictionary<string, string> With(string key, string? previous = null) =>
            new(Load.Unlimited.Concat(deployment)) { ["Secrets__MasterKey"] = key, ["Secrets__PreviousMasterKeys"] = previous ?? "" };
        await using var receiver = await Receiver.Start();

        // Under key A: an account, a license, a webhook endpoint made with an Idempotency-Key (which it keeps),
        // and a license file.
        var client = await AClient(With(a));
        string licenseId, secret, endpointBody;
        await using (var underA = await ServiceProcess.Start(With(a)))
        {
            var http = Load.ClientFor(underA.BaseUrl, client.Key);
            var product = await Created<ProductDetails>(await http.PostAsync("/api/v1/products", Json("""{"name":"Rotated","code":"rotated"}""")));
            licenseId = (await Created<LicenseDetails>(await http.PostAsync($"/api/v1/products/{product.Id}/licenses", null))).Id.ToString();
            endpointBody = $$"""{"url":"{{receiver.Url}}","events":["product.created"]}""";
            secret = (await Created<WebhookEndpointCreated>(await KeyedPost(http, "/api/v1/webhook-endpoints", endpointBody, "rotated-hook"))).Secret;
            await FileVerifies(http, licenseId, client.AccountId);
        }

        // Every node given B, with A among the previous keys: a rotation in progress, accepted. Then the reseal.
        await using (var rotating = await ServiceProcess.Start(With(b, previous: a)))
        {
            await FileVerifies(Load.ClientFor(rotating.BaseUrl, client.Key), licenseId, client.AccountId);

            var reseal = await CommandLineRunner.Run(["secrets", "reseal", "--json"], With(b, previous: a));
            Assert.True(reseal.ExitCode == 0, reseal.Output + reseal.Error);
            var resealed = reseal.LastJson.Deserialize<Resealed>(ApiJson.Options)!;
            Assert.Equal(SecretBox.IdOf(Convert.FromBase64String(b)), resealed.KeyId);
            Assert.True(resealed.SigningKeys >= 1, resealed.ToString());
            Assert.Equal(1, resealed.WebhookSecrets);
            Assert.True(resealed.MasterKeyCheck);

            // Again: nothing is left to reseal.
            var again = await CommandLineRunner.Run(["secrets", "reseal", "--json"], With(b, previous: a));
            Assert.True(again.ExitCode == 0, again.Output + again.Error);
            var resealedAgain = again.LastJson.Deserialize<Resealed>(ApiJson.Options)!;
            Assert.Equal((0, 0), (resealedAgain.SigningKeys, resealedAgain.WebhookSecrets));
            Assert.False(resealedAgain.MasterKeyCheck);
        }

        // B alone: the file still signs and verifies with the account's JWK Set, a repeat of the keyed create still
        // answers the secret, and a delivery is signed with the secret given when the endpoint was made.
        await using (var underB = await ServiceProcess.Start(With(b)))
        {
            var http = Load.ClientFor(underB.BaseUrl, client.Key);
            await FileVerifies(http, licenseId, client.AccountId);

            var replayed = await KeyedPost(http, "/api/v1/webhook-endpoints", endpointBody, "rotated-hook");
            Assert.Equal("true", replayed.Headers.GetValues("Idempotent-Replayed").Single());
            Assert.Equal(secret, (await Created<WebhookEndpointCreated>(replayed)).Secret);

            await Created<ProductDetails>(await http.PostAsync("/api/v1/products", Json("""{"name":"After rotation","code":"after-rotation"}""")));
            Receiver.Received? delivery = null;
            await Eventually(() => Task.FromResult((delivery = receiver.Requests.FirstOrDefault(x => x.Body.Contains("after-rotation"))) is not null),
                "the delivery after rotation");
            var timestamp = long.Parse(delivery!.Signature!.Split(',')[0]["t=".Length..]);
            Assert.Equal(WebhookSignature.Sign(secret, timestamp, delivery.Body), delivery.Signature);
        }

        // And A alone is now refused, by the service and by the commands that seal.
        var withA = new Dictionary<string, string>(With(a)) { ["ASPNETCORE_ENVIRONMENT"] = "Production", ["DOTNET_ENVIRONMENT"] = "Production",
            ["ASPNETCORE_URLS"] = "http://127.0.0.1:0" };
        var service = await CommandLineRunner.Run([], withA);
        Assert.NotEqual(0, service.ExitCode);
        Assert.Contains("is not the key this database's secrets were sealed with", service.Error + service.Output);
        var rotate = await CommandLineRunner.Run(["signing-keys", "rotate", "--account", client.AccountId.ToString()], With(a));
        Assert.NotEqual(0, rotate.ExitCode);
        Assert.Contains("is not the key this database's secrets were sealed with", Assert.Single(rotate.Error.Trim().Split('\n')));
    }

    [Fact]
    public async Task the_reseal_command_refuses_a_key_the_database_does_not_know_and_a_malformed_previous_key_in_one_line()
    {
        await AClient(); // the database has met the tests' key
        var unknown = await CommandLineRunner.Run(["secrets", "reseal"], new Dictionary<string, string>
        {
            ["Secrets__MasterKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))
        });
        Assert.NotEqual(0, unknown.ExitCode);
        Assert.Contains("is not the key this database's secrets were sealed with", Assert.Single(unknown.Error.Trim().Split('\n')));

        var malformed = await CommandLineRunner.Run(["secrets", "reseal"], new Dictionary<string, string> { ["Secrets__PreviousMasterKeys"] = "c2hvcnQ=" });
        Assert.NotEqual(0, malformed.ExitCode);
        Assert.StartsWith(SecretBox.PreviousSetting, Assert.Single(malformed.Error.Trim().Split('\n')));

        var service = await CommandLineRunner.Run([], new Dictionary<string, string>
        {
            ["Secrets__PreviousMasterKeys"] = "not base64!", ["ASPNETCORE_URLS"] = "http://127.0.0.1:0"
        });
        Assert.NotEqual(0, service.ExitCode);
        Assert.Contains(SecretBox.PreviousSetting, service.Error);
    }

    /// <summary>An account and an API key with every scope, made on the command line.</summary>
    private static async Task<Client> AClient(IDictionary<string, string> environment)
    {
        var account = await CommandLineRunner.Run(["accounts", "create", "--name", "Rotated", "--json"], environment);
        Assert.True(account.ExitCode == 0, account.Output + account.Error);
        var created = await CommandLineRunner.Run(["api-keys", "create", "--account", account.LastJson.GetProperty("id").GetString()!,
            "--scopes", string.Join(",", AllScopes), "--json"], environment);
        Assert.True(created.ExitCode == 0, created.Output + created.Error);
        return new Client(account.LastJson.GetProperty("id").GetGuid(), created.LastJson.GetProperty("id").GetGuid(), created.LastJson.GetProperty("key").GetString()!);
    }

    private static async Task<HttpResponseMessage> KeyedPost(HttpClient http, string path, string body, string key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = Json(body) };
        request.Headers.Add("Idempotency-Key", key);
        return await http.SendAsync(request);
    }

    /// <summary>The <c>data</c> of a successful answer as the service's own type (the API's JSON, strict).</summary>
    private static async Task<T> Created<T>(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode is 200 or 201, $"{(int)response.StatusCode}: {body}");
        return JsonSerializer.Deserialize<Resource<T>>(body, ApiJson.Options)!.Data;
    }

    /// <summary>A license file signed now, which verifies against the account's published JWK Set.</summary>
    private static async Task FileVerifies(HttpClient http, string licenseId, Guid accountId)
    {
        var file = (await Created<LicenseFileDetails>(await http.GetAsync($"/api/v1/licenses/{licenseId}/file"))).File;
        var jwks = await http.GetStringAsync($"/api/v1/accounts/{accountId}/jwks.json");
        var verdict = await Jose.Verify(file, jwks);
        Assert.True(verdict.Valid, verdict.Error);
    }
}
