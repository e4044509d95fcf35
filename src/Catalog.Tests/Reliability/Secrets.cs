using System.Net.Http.Headers;
using System.Text;
using Npgsql;

namespace Catalog.Tests.Reliability;

/// <summary>API keys and webhook secrets are never stored or logged in clear, and logs are structured.</summary>
public class Secrets(AppFixture fixture) : ApiTest(fixture)
{
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

        // The database, dumped whole.
        await using var connection = await OpenDatabase();
        var dump = new StringBuilder();
        await using (var tables = new NpgsqlCommand(
            "select format('%I.%I', table_schema, table_name) from information_schema.tables where table_schema in ('catalog') and table_type = 'BASE TABLE'", connection))
        await using (var reader = await tables.ExecuteReaderAsync())
        {
            var names = new List<string>();
            while (await reader.ReadAsync()) names.Add(reader.GetString(0));
            await reader.CloseAsync();
            foreach (var name in names)
            {
                await using var rows = new NpgsqlCommand($"select coalesce(string_agg(t::text, E'\\n'), '') from {name} t", connection);
                dump.AppendLine((string)(await rows.ExecuteScalarAsync())!);
            }
        }
        Assert.Contains("logged", dump.ToString()); // the dump did read the data
        Assert.DoesNotContain(client.Key, dump.ToString());
        Assert.DoesNotContain(client.Key[5..], dump.ToString());

        // The logs: one JSON object per request line, with status, duration and account, never the key.
        await Task.Delay(500);
        var lines = service.Output.ToList();
        Assert.DoesNotContain(lines, x => x.Contains(client.Key[5..]));
        var requests = lines.Where(x => x.StartsWith('{')).Select(x => JsonDocument.Parse(x).RootElement)
            .Where(x => x.GetProperty("Category").GetString() == typeof(Catalog.Conventions.RequestLog).FullName)
            .Select(x => x.GetProperty("State"))
            .ToList();
        Assert.Contains(requests, x => x.GetProperty("Method").GetString() == "POST" && x.GetProperty("Status").GetInt32() == 201
                                       && x.GetProperty("AccountId").GetString() == client.AccountId.ToString()
                                       && x.TryGetProperty("DurationMs", out _) && x.TryGetProperty("RequestId", out _));
        Assert.Contains(requests, x => x.GetProperty("Status").GetInt32() == 401);
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
        await Eventually(() => Task.FromResult(service.Output.Any(x => x.Contains(url))), "a failed attempt logged with its URL");
        await Task.Delay(500);

        Assert.DoesNotContain(service.Output, x => x.Contains("receiver-token-4242"));
    }
}
