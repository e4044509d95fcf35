using Npgsql;

namespace Catalog.Tests.Reliability;

/// <summary>
/// Thousands of generated hostile requests at every endpoint: broken JSON, wrong types, huge and deep values,
/// unicode edge cases, SQL and JSON injection strings in every field and query parameter, bad ids, bad limits,
/// bad headers. Never a 500; every error is problem details; a refused request changes nothing stored.
/// The generator is seeded, so a failure names a request that can be replayed.
/// </summary>
public class HostileInput(AppFixture fixture) : ApiTest(fixture)
{
    private static readonly string[] Nasty =
    [
        "", " ", "\t\n", "null", "' OR '1'='1", "'; drop table catalog.mt_doc_product; --", "\" }, {\"$where\": \"1\"",
        "{\"$ne\": null}", "../../etc/passwd", "%00", "\\u0000", "\u0000", "\ud800", "\udfff", "\u202e\u0041\u0042", "\u200b",
        "😀😀😀", "𝕏", "é", "e\u0301", "ﷺ", "\uffff", new string('a', 300), new string('ß', 1001), new string('x', 70_000),
        "<script>alert(1)</script>", "${jndi:ldap://x}", "{{7*7}}", "NaN", "-0", "1e309", "0x10", "-1", "2147483648",
        "99999999999999999999", "00000000-0000-0000-0000-000000000000", "not-a-uuid", "DSK-AAAA-BBBB-CCCC-DDDD", "LIC",
    ];

    private static readonly string[] Values =
    [
        "null", "true", "false", "0", "-1", "1.5", "1e400", "-1e400", "123456789012345678901234567890", "[]", "[1,2]", "{}",
        "{\"a\":{\"b\":{\"c\":{}}}}", new string('[', 200) + new string(']', 200), "\"\"", "\"\\u0000\"", "\"\\ud800\"",
        "\"" + new string('x', 2000) + "\"",
    ];

    private static string Quote(string s) => JsonSerializer.Serialize(s);

    /// <summary>For a path segment: Kestrel refuses a NUL in a path before the application sees it (the in-memory test server would throw).</summary>
    private static string Segment(Random random) => Uri.EscapeDataString(Pick(random, 300).Replace("\0", "").Replace("%00", ""));

    private static string Pick(Random random, int maxLength)
    {
        var s = Nasty[random.Next(Nasty.Length)];
        return s.Length > maxLength ? s[..maxLength] : s;
    }

    private static IEnumerable<(string Method, string Url, string? Body, string? ContentType)> Requests(Random random, string productId, string licenseId)
    {
        string[] fields = ["name", "code", "description", "keyPrefix", "metadata", "expiresAt", "key", "url", "events", "licensesCount", "id", "__proto__", "constructor",
            "fingerprint", "maxMachines", "status"];
        (string Method, string Url)[] targets =
        [
            ("POST", "/api/v1/products"), ("PATCH", $"/api/v1/products/{productId}"), ("POST", $"/api/v1/products/{productId}/licenses"),
            ("POST", "/api/v1/licenses/validate"), ("POST", "/api/v1/webhook-endpoints"),
            ("POST", $"/api/v1/licenses/{licenseId}/machines"), ("PATCH", $"/api/v1/licenses/{licenseId}"),
            ("POST", "/api/v1/client/machines"), ("POST", "/api/v1/client/validate"),
        ];
        string[] getters =
        [
            "/api/v1/products", "/api/v1/licenses", "/api/v1/events", "/api/v1/webhook-endpoints",
            $"/api/v1/products/{productId}", $"/api/v1/licenses/{licenseId}", "/api/v1/products/{x}", "/api/v1/licenses/{x}",
            "/api/v1/webhook-endpoints/{x}/deliveries", $"/api/v1/licenses/{licenseId}/machines", "/api/v1/licenses/{x}/machines",
        ];
        string[] parameters = ["cursor", "limit", "productId", "status", "type", "foo", "limit[]", "cursor%00"];

        for (var i = 0; i < 1400; i++)
        {
            var kind = random.Next(7);
            var (method, url) = targets[random.Next(targets.Length)];
            var nasty = Nasty[random.Next(Nasty.Length)];
            switch (kind)
            {
                case 0: // a field with a hostile string or a value of the wrong type
                    var field = fields[random.Next(fields.Length)];
                    var value = random.Next(2) == 0 ? Quote(nasty) : Values[random.Next(Values.Length)];
                    yield return (method, url, $"{{\"name\":\"ok\",\"code\":\"c{i}\",\"{field}\":{value}}}", "application/json");
                    break;
                case 1: // broken JSON: a valid body cut or spliced at a random place
                    var body = $"{{\"name\":{Quote(nasty)},\"code\":\"c{i}\",\"metadata\":{{\"k\":{Values[random.Next(Values.Length)]}}}}}";
                    var cut = random.Next(body.Length);
                    yield return (method, url, random.Next(2) == 0 ? body[..cut] : body.Insert(cut, "\u0001{,]"), "application/json");
                    break;
                case 2: // metadata full of hostile keys and values
                    var keys = Enumerable.Range(0, random.Next(1, 80)).Select(k => $"{Quote(Pick(random, 70) + k)}:{Values[random.Next(Values.Length)]}");
                    yield return (method, url, $"{{\"name\":\"n\",\"code\":\"m{i}\",\"metadata\":{{{string.Join(",", keys)}}}}}", "application/json");
                    break;
                case 3: // hostile query strings and ids on reads
                    var getter = getters[random.Next(getters.Length)].Replace("{x}", Segment(random));
                    var query = string.Join("&", Enumerable.Range(0, random.Next(1, 4)).Select(_ =>
                        $"{parameters[random.Next(parameters.Length)]}={Uri.EscapeDataString(Pick(random, 200))}"));
                    yield return ("GET", getter + "?" + query, null, null);
                    break;
                case 4: // bodies that are not JSON objects, or not declared JSON
                    string[] contentTypes = ["text/plain", "application/xml", "application/x-www-form-urlencoded", "multipart/form-data", "application/json; charset=utf-16", "application/jsonx", ""];
                    yield return (method, url, random.Next(2) == 0 ? nasty : "[" + Quote(nasty) + "]", contentTypes[random.Next(contentTypes.Length)]);
                    break;
                case 5: // a well-formed webhook endpoint with a hostile URL or event name (loopback hosts: nothing answers there)
                    string[] urls =
                    [
                        nasty, $"http://127.0.0.1:9/{nasty}", $"http://127.0.0.1:9/x?q={nasty}", $"https://{nasty}/x",
                        $"http://127.0.0.1:9/{Uri.EscapeDataString(nasty)}", $"http://[::1]:9/{nasty}#{nasty}",
                    ];
                    string[] names = ["product.created", "license.revoked", nasty, "product.*", "PRODUCT.CREATED"];
                    var events = Enumerable.Range(0, random.Next(1, 4)).Select(_ => Quote(names[random.Next(names.Length)]));
                    yield return ("POST", "/api/v1/webhook-endpoints",
                        $"{{\"url\":{Quote(urls[random.Next(urls.Length)])},\"events\":[{string.Join(",", events)}]}}", "application/json");
                    break;
                default: // hostile ids in the path of writes
                    yield return (method == "PATCH" ? "PATCH" : "POST", method == "PATCH"
                        ? $"/api/v1/products/{Segment(random)}"
                        : $"/api/v1/licenses/{Segment(random)}/revoke", "{}", "application/json");
                    break;
            }
        }
    }

    [Fact]
    public async Task no_generated_hostile_request_gets_a_500_or_changes_data_when_refused()
    {
        var client = await AClient();
        var productId = (await CreateProduct(client, AProduct("target"))).Id;
        var license = await IssueLicense(client, productId, new { maxMachines = 5 });
        var (licenseId, licenseKey) = (license.Id.ToString(), license.Key);
        // Every database holding accounts' data: the one database, or each shard.
        var connections = new List<NpgsqlConnection>();
        foreach (var database in StorageMode.AccountDatabases) connections.Add(await OpenDatabase(database));

        var random = new Random(20261127);
        var count = 0;
        var webhookAnswers = new List<int>();
        foreach (var (method, url, body, contentType) in Requests(random, productId.ToString(), licenseId))
        {
            var before = await State(connections, client.AccountId);
            // The client endpoints take the license key, everything else the API key.
            var response = url.StartsWith("/api/v1/client/")
                ? await Send(method, url, null, body, contentType, request => request.Headers.Authorization = "License " + licenseKey)
                : await Send(method, url, client, body, contentType);
            count++;
            if (method == "POST" && url == "/api/v1/webhook-endpoints" && body?.StartsWith("{\"url\"") == true) webhookAnswers.Add(response.Status);

            var what = $"#{count} {method} {url} [{contentType}] {body?[..Math.Min(body.Length, 300)]}";
            Assert.True(response.Status < 500, $"{what} => {response}");
            Assert.True(response.Status != 429, $"{what} met the rate limit: the test would prove nothing");
            if (response.Status >= 400)
            {
                Assert.True(response.ContentType.StartsWith("application/problem+json"), $"{what} => {response.Status} {response.ContentType}");
                Assert.True(before == await State(connections, client.AccountId), $"{what} was refused ({response.Status}) but changed stored data");
            }
        }
        Assert.True(count >= 1000);
        // Well-formed bodies reached webhook creation: some were created, many refused for what they held.
        Assert.Contains(201, webhookAnswers);
        Assert.True(webhookAnswers.Count(x => x == 400) > 50, string.Join(",", webhookAnswers));
        foreach (var connection in connections) await connection.DisposeAsync();
    }

    private static async Task<string> State(IEnumerable<NpgsqlConnection> connections, Guid account)
    {
        var state = new List<string>();
        foreach (var connection in connections) state.Add(await State(connection, account));
        return string.Join(" | ", state);
    }

    /// <summary>
    /// Everything an API request of the account can change: its events, products, licenses, machines, webhook endpoints
    /// (its own rows only: other tests' accounts may have left many behind, with shards above all).
    /// </summary>
    private static async Task<string> State(NpgsqlConnection connection, Guid account)
    {
        await using var command = new NpgsqlCommand("""
            select (select count(*) from catalog.mt_events where tenant_id = @account) || '/' ||
                   (select coalesce(sum(length(data::text)), 0) from catalog.mt_doc_product where tenant_id = @account) || '/' ||
                   (select count(*) from catalog.mt_doc_license where tenant_id = @account) || '/' ||
                   (select count(*) from catalog.mt_doc_webhookendpoint where tenant_id = @account) || '/' ||
                   (select coalesce(sum(length(data::text)), 0) from catalog.mt_doc_license where tenant_id = @account) || '/' ||
                   (select count(*) from catalog.mt_doc_machine where tenant_id = @account)
            """, connection);
        command.Parameters.AddWithValue("account", account.ToString());
        return (string)(await command.ExecuteScalarAsync())!;
    }
}
