using Catalog.Secrets;
using Catalog.Http;
using Microsoft.AspNetCore.Http;
using Marten;
using System.Buffers.Text;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Catalog.Hosting;
using Catalog.SigningKeys;
using Npgsql;
using NSec.Cryptography;

namespace Catalog.Tests.Reliability;

/// <summary>
/// API keys, private signing keys and webhook secrets are never stored or logged in clear, the master key that seals
/// them is required, and logs are structured.
/// </summary>
public class Secrets(AppFixture fixture) : ApiTest(fixture)
{
    /// <summary>
    /// Every row of every table of every database of the deployment (with shards, the directory and each shard), as
    /// text: what stolen backups show.
    /// </summary>
    private static async Task<string> DumpDatabase()
    {
        var dump = new StringBuilder();
        foreach (var database in StorageMode.AccountDatabases.Prepend(Environment.GetEnvironmentVariable("ConnectionStrings__Catalog")!).Distinct())
            dump.Append(await DumpDatabase(database));
        return dump.ToString();
    }

    private static async Task<string> DumpDatabase(string connectionString)
    {
        await using var connection = await OpenDatabase(connectionString);
        var dump = new StringBuilder();
        var names = new List<string>();
        await using (var tables = new NpgsqlCommand(
            "select format('%I.%I', table_schema, table_name) from information_schema.tables " +
            "where table_schema not in ('pg_catalog', 'information_schema') and table_type = 'BASE TABLE'", connection))
        await using (var reader = await tables.ExecuteReaderAsync())
            while (await reader.ReadAsync()) names.Add(reader.GetString(0));
        foreach (var name in names)
        {
            await using var rows = new NpgsqlCommand($"select coalesce(string_agg(t::text, E'\\n'), '') from {name} t", connection);
            dump.AppendLine((string)(await rows.ExecuteScalarAsync())!);
        }
        return dump.ToString();
    }

    [Fact]
    public async Task the_database_holds_no_private_signing_key_webhook_secret_or_api_key_in_clear()
    {
        var client = await AClient();
        var product = (await CreateProduct(client)).Id;
        var license = await IssueLicense(client, product);
        var file = await AsLicense("POST", "/api/v1/client/license-file", license.Key, "{}");
        Assert.Equal(200, file.Status);
        Assert.Equal(0, (await CommandLineRunner.Run("signing-keys", "rotate", "--account", client.AccountId.ToString())).ExitCode);

        // A webhook endpoint made with an Idempotency-Key: a repeat is answered the first answer, secret and all, from
        // the endpoint itself (its key kept on it), never from a stored answer.
        var body = JsonSerializer.Serialize(new { url = "http://127.0.0.1:9/catalog-hooks", events = new[] { "product.created" } });
        void Keyed(HttpRequest request) => request.Headers["Idempotency-Key"] = "create-hook-1";
        var created = await Send("POST", "/api/v1/webhook-endpoints", client, body, configure: Keyed);
        Assert.Equal(201, created.Status);
        var secret = created.Data.GetProperty("secret").GetString()!;
        var replayed = await Send("POST", "/api/v1/webhook-endpoints", client, body, configure: Keyed);
        Assert.Equal("true", replayed.Headers["Idempotent-Replayed"].ToString());
        Assert.Equal(created.Text, replayed.Text);

        // Ten at once with a new key: one creates, the others are answered the first answer (those that lost the race
        // to it run again and find it), the same endpoint and secret.
        void Raced(HttpRequest request) => request.Headers["Idempotency-Key"] = "create-hook-2";
        var raced = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ =>
            Send("POST", "/api/v1/webhook-endpoints", client, body, configure: Raced)));
        var won = raced.Where(x => x.Status == 201).ToList();
        Assert.NotEmpty(won);
        Assert.All(raced, x => Assert.True(x.Status == 201, x.ToString()));
        Assert.Single(won.Select(x => x.Text).Distinct());
        Assert.Single(raced, x => !x.Headers.ContainsKey("Idempotent-Replayed"));
        Assert.Equal(2, (await Get("/api/v1/webhook-endpoints", client)).Data.GetArrayLength());

        var dump = await DumpDatabase();
        Assert.Contains("127.0.0.1:9/catalog-hooks", dump); // the dump did read the data
        Assert.DoesNotContain(secret, dump);
        Assert.DoesNotContain(secret["whsec_".Length..], dump);
        Assert.DoesNotContain(client.Key[5..], dump);

        // Each private key, opened here with the master key alone (AES-256-GCM, bound to its kid), is the private
        // half of the published key, and is nowhere in the database in any usual encoding.
        var masterKey = Convert.FromBase64String(Environment.GetEnvironmentVariable("Secrets__MasterKey")!);
        await using var session = DirectoryStore.QuerySession();
        var keys = await session.Query<SigningKey>().Where(x => x.AccountId == client.AccountId).ToListAsync();
        Assert.Equal(2, keys.Count);
        foreach (var key in keys)
        {
            // v2.<the master key's id>.<base64 of nonce, ciphertext and tag>
            Assert.StartsWith($"v2.{SecretBox.IdOf(masterKey)}.", key.SealedPrivateKey);
            var sealedBytes = Convert.FromBase64String(key.SealedPrivateKey!.Split('.')[2]);
            var privateKey = new byte[sealedBytes.Length - 28];
            using (var aes = new AesGcm(masterKey, 16))
                aes.Decrypt(sealedBytes.AsSpan(0, 12), sealedBytes.AsSpan(12, privateKey.Length), sealedBytes.AsSpan(^16), privateKey,
                    Encoding.UTF8.GetBytes($"signing-key:{key.AccountId}:{key.Id}"));
            using var opened = NSec.Cryptography.Key.Import(SignatureAlgorithm.Ed25519, privateKey, KeyBlobFormat.RawPrivateKey);
            Assert.Equal(key.PublicKey, Base64Url.EncodeToString(opened.PublicKey.Export(KeyBlobFormat.RawPublicKey)));

            foreach (var encoded in new[] { Convert.ToBase64String(privateKey), Base64Url.EncodeToString(privateKey),
                         Convert.ToHexStringLower(privateKey), Convert.ToHexString(privateKey) })
                Assert.DoesNotContain(encoded, dump);
        }
    }

    /// <summary>
    /// <c>describe</c> prints every configuration value, and what it prints gets pasted into tickets: the master key and
    /// a previous one, and every value named like a secret, are masked. (It wraps long values over several lines, so
    /// the parts of a value are checked by <see cref="what_describe_masks"/>, and here the values' first characters.)
    /// </summary>
    [Fact]
    public async Task describe_shows_the_configuration_without_its_secrets()
    {
        var masterKey = Environment.GetEnvironmentVariable("Secrets__MasterKey")!;
        var previous = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        var described = await CommandLineRunner.Run(["describe"], new Dictionary<string, string>
        {
            ["Secrets__PreviousMasterKeys__0"] = previous,
            ["Webhooks__SigningToken"] = "NFT7",
            ["OTEL_EXPORTER_OTLP_HEADERS"] = "NFT8=1"
        });

        Assert.True(described.ExitCode == 0, described.Error);
        var output = described.Output + described.Error;
        Assert.Contains("ConnectionStrings", output);
        Assert.Contains("****", output);
        foreach (var secret in new[] { "NFT7", "NFT8", masterKey[..12], previous[..12] })
            Assert.DoesNotContain(secret, output);
    }

    [Theory]
    [InlineData("Secrets:MasterKey", "c2VjcmV0", "****")]
    [InlineData("Secrets:PreviousMasterKeys:0", "c2VjcmV0", "****")]
    [InlineData("OTEL_EXPORTER_OTLP_HEADERS", "Authorization=Bearer abc", "****")]
    [InlineData("Webhooks:SigningToken", "abc", "****")]
    [InlineData("ConnectionStrings:Catalog", "Host=db;Database=catalog;Username=app;Password=s3cret;Pooling=true",
        "Host=db;Database=catalog;Username=app;Password=****;Pooling=true")]
    [InlineData("Sharding:Databases:one", "Host=db;PSW='s3;cret';Database=one", "Host=db;PSW=****;Database=one")]
    [InlineData("DATABASE_URL", "postgres://app:s3cret@db/catalog", "postgres://****@db/catalog")]
    [InlineData("Webhooks:Proxy", "http://proxy.internal:3128", "http://proxy.internal:3128")]
    [InlineData("RateLimit:Burst", "200", "200")]
    public void what_describe_masks(string key, string value, string shown) =>
        Assert.Equal(shown, Catalog.Secrets.DescribeWithoutSecrets.Masked(key, value));

    [Fact]
    public async Task without_the_master_key_the_service_and_the_commands_that_need_it_refuse_to_start_with_one_line()
    {
        foreach (var (value, says) in new[] { ("", "Secrets:MasterKey is not set"), ("c2hvcnQ=", "exactly 32 bytes"), ("not base64!", "exactly 32 bytes") })
        {
            var production = new Dictionary<string, string>
            {
                ["ASPNETCORE_ENVIRONMENT"] = "Production", ["DOTNET_ENVIRONMENT"] = "Production", ["Secrets__MasterKey"] = value,
                ["ASPNETCORE_URLS"] = "http://127.0.0.1:0"
            };
            foreach (var args in new[] { Array.Empty<string>(), ["accounts", "create", "--name", "Keyless"], ["signing-keys", "rotate", "--account", Guid.CreateVersion7().ToString()] })
            {
                var result = await CommandLineRunner.Run(args, production);
                Assert.True(result.ExitCode != 0, $"'{string.Join(" ", args)}' ran without a usable master key");
                Assert.Contains(says, Assert.Single(result.Error.Trim().Split('\n')));
            }

            // However the web server is started.
            var run = await CommandLineRunner.Run(["run"], production);
            Assert.True(run.ExitCode != 0, "'run' served without a usable master key");
            Assert.Contains(says, run.Error + run.Output);

            // What needs no secret still works: an operator can look without the key.
            var listed = await CommandLineRunner.Run(["accounts", "list", "--json"], production);
            Assert.True(listed.ExitCode == 0, listed.Error);
        }
        await using var session = DirectoryStore.QuerySession();
        Assert.False(await session.Query<Account>().AnyAsync(x => x.Name == "Keyless"));
    }

    [Fact]
    public async Task another_master_key_than_the_one_the_database_knows_is_refused_before_anything_is_sealed_with_it()
    {
        await AClient(); // the database has met the tests' key
        var another = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production", ["DOTNET_ENVIRONMENT"] = "Production",
            ["Secrets__MasterKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)), ["ASPNETCORE_URLS"] = "http://127.0.0.1:0"
        };

        var create = await CommandLineRunner.Run(["accounts", "create", "--name", "Wrong key"], another);
        Assert.NotEqual(0, create.ExitCode);
        Assert.Contains("is not the key this database's secrets were sealed with", Assert.Single(create.Error.Trim().Split('\n')));

        var service = await CommandLineRunner.Run([], another);
        Assert.NotEqual(0, service.ExitCode);
        Assert.Contains("is not the key this database's secrets were sealed with", service.Error + service.Output);

        await using var session = DirectoryStore.QuerySession();
        Assert.False(await session.Query<Account>().AnyAsync(x => x.Name == "Wrong key"));
    }

    [Fact]
    public async Task neither_the_database_nor_the_logs_hold_a_key_and_each_request_logs_one_json_line()
    {
        var client = await AClient();
        await using var service = await ServiceProcess.Start();
        service.Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", client.Key);

        var created = await service.Http.PostAsync("/api/v1/products",
            new StringContent("""{"name":"Logged","code":"logged"}""", Encoding.UTF8, "application/json"));
        Assert.Equal(201, (int)created.StatusCode);
        var productId = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("data").GetProperty("id").GetString();
        Assert.Equal(201, (int)(await service.Http.PostAsync($"/api/v1/products/{productId}/licenses", null)).StatusCode);
        Assert.Equal(200, (int)(await service.Http.GetAsync("/api/v1/products?limit=5")).StatusCode);
        var unknownKey = new HttpRequestMessage(HttpMethod.Get, "/api/v1/products");
        unknownKey.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "ctlg_" + new string('x', 40));
        Assert.Equal(401, (int)(await service.Http.SendAsync(unknownKey)).StatusCode);

        var dump = await DumpDatabase();
        Assert.Contains("logged", dump); // the dump did read the data
        Assert.DoesNotContain(client.Key, dump);
        Assert.DoesNotContain(client.Key[5..], dump);

        // The logs: one JSON object per request line, with status, duration and account, never the key.
        await Task.Delay(500);
        var lines = service.Output.ToList();
        Assert.DoesNotContain(lines, x => x.Contains(client.Key[5..]));
        var requests = lines.Where(x => x.StartsWith('{')).Select(x => JsonDocument.Parse(x).RootElement)
            .Where(x => x.GetProperty("Category").GetString() == typeof(Catalog.Http.RequestLog).FullName)
            .Select(x => x.GetProperty("State"))
            .ToList();
        Assert.Contains(requests, x => x.GetProperty("Method").GetString() == "POST" && x.GetProperty("Status").GetInt32() == 201
                                       && x.GetProperty("AccountId").GetString() == client.AccountId.ToString()
                                       && x.TryGetProperty("DurationMs", out _) && x.TryGetProperty("RequestId", out _));
        Assert.Contains(requests, x => x.GetProperty("Status").GetInt32() == 401);
        // Each line is what .NET's JSON console formatter writes for the request log's message (the log writes it
        // itself, for less): the same properties, message and event id as every other JSON log line.
        var unauthenticated = lines.Where(x => x.StartsWith('{')).Select(x => JsonDocument.Parse(x).RootElement)
            .First(x => x.GetProperty("Category").GetString() == typeof(Catalog.Http.RequestLog).FullName
                        && x.GetProperty("State").GetProperty("Status").GetInt32() == 401);
        Assert.Equal(["Timestamp", "EventId", "LogLevel", "Category", "Message", "State"], unauthenticated.EnumerateObject().Select(x => x.Name));
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", unauthenticated.GetProperty("Timestamp").GetString());
        Assert.Equal("Information", unauthenticated.GetProperty("LogLevel").GetString());
        var state = unauthenticated.GetProperty("State");
        Assert.Equal(JsonValueKind.Null, state.GetProperty("AccountId").ValueKind);
        Assert.Equal($"GET /api/v1/products 401 in {state.GetProperty("DurationMs").GetDouble().ToString(System.Globalization.CultureInfo.InvariantCulture)} ms (account (null), request {state.GetProperty("RequestId").GetString()})",
            unauthenticated.GetProperty("Message").GetString());
        Assert.Equal(Catalog.Http.RequestLog.Format, state.GetProperty("{OriginalFormat}").GetString());
    }

    [Fact]
    public async Task webhook_urls_are_logged_without_their_query_where_receivers_put_tokens()
    {
        var client = await AClient();
        await using var service = await ServiceProcess.Start();
        service.Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", client.Key);
        var closed = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        closed.Start();
        var url = $"http://127.0.0.1:{((System.Net.IPEndPoint)closed.LocalEndpoint).Port}/hook";
        closed.Stop(); // nothing listens there: every attempt fails, and failures are logged with their URL

        var endpoint = await service.Http.PostAsync("/api/v1/webhook-endpoints", new StringContent(
            JsonSerializer.Serialize(new { url = url + "?token=receiver-token-4242", events = new[] { "product.created" } }),
            Encoding.UTF8, "application/json"));
        Assert.Equal(201, (int)endpoint.StatusCode);
        Assert.Equal(201, (int)(await service.Http.PostAsync("/api/v1/products",
            new StringContent("""{"name":"Hooked","code":"hooked"}""", Encoding.UTF8, "application/json"))).StatusCode);
        // Either node may make the attempt: the service process, or the tests' own host (whichever runs the feed).
        await Eventually(() => Task.FromResult(service.Output.Concat(Fixture.Logs.Lines).Any(x => x.Contains(url))),
            "a failed attempt logged with its URL");
        await Task.Delay(500);

        Assert.DoesNotContain(service.Output, x => x.Contains("receiver-token-4242"));
        Assert.DoesNotContain(Fixture.Logs.Lines, x => x.Contains("receiver-token-4242"));
    }
}
