using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Catalog.Tests.Api;

/// <summary>Whatever a client sends, the answer is a 4xx problem and nothing is written.</summary>
public class BadInput(AppFixture fixture) : ApiTest(fixture)
{
    public static TheoryData<string, string, string> BrokenBodies => new()
    {
        { "malformed JSON", """{"name": }""", "name" },
        { "truncated JSON", """{"name": "a", "code": "c" """, "body" },
        { "trailing garbage", """{"name":"a","code":"c"} extra""", "body" },
        { "a JSON array", """[]""", "body" },
        { "a JSON string", "\"product\"", "body" },
        { "JSON null", "null", "body" },
        { "JSON null padded with white space", "\n\n    null    \n\n          \n", "body" },
        { "JSON null after a byte-order mark", "\uFEFFnull", "body" },
        { "an empty body", "", "body" },
        { "a number for a string", """{"name": 5, "code": "c"}""", "name" },
        { "a boolean for a string", """{"name": "a", "code": true}""", "code" },
        { "an object for a string", """{"name": {"first": "a"}, "code": "c"}""", "name" },
        { "an array for metadata", """{"name": "a", "code": "c", "metadata": [1, 2]}""", "metadata" },
        { "an unknown field", """{"name": "a", "code": "c", "licensesCount": 99}""", "licensesCount" },
        { "an unknown field in another case", """{"Name": "a", "code": "c"}""", "Name" },
        { "a repeated field", """{"name": "a", "name": "b", "code": "c"}""", "name" },
        { "a NUL character", """{"name": "a\u0000b", "code": "c"}""", "name" },
        { "an unpaired surrogate", """{"name": "a\ud800b", "code": "c"}""", "name" },
        { "a NUL in a metadata key", """{"name": "a", "code": "c", "metadata": {"k\u0000": "v"}}""", "metadata" },
        { "deep nesting", """{"name": "a", "code": "c", "metadata": {"k": """ + new string('[', 100) + new string(']', 100) + "}}", "metadata.k" },
        { "SQL in the code", """{"name": "a", "code": "x'; drop table catalog.mt_doc_product; --"}""", "code" },
    };

    [Theory]
    [MemberData(nameof(BrokenBodies))]
    public async Task a_broken_body_is_400_naming_the_field_and_writes_nothing(string what, string body, string field)
    {
        var client = await AClient();

        var response = await Send("POST", "/api/v1/products", client, body);

        Assert.True(response.Status == 400, $"{what}: {response}");
        Assert.Equal("application/problem+json", response.ContentType);
        Assert.Contains(field, response.ErrorFields);
        Assert.DoesNotContain("System.", response.Text);
        await NothingWasStored(client);
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("application/xml")]
    [InlineData(null)]
    public async Task a_body_that_is_not_declared_JSON_is_415(string? contentType)
    {
        var client = await AClient();

        var response = await Send("POST", "/api/v1/products", client, """{"name":"a","code":"c"}""", contentType);

        Assert.Equal(415, response.Status);
        Assert.Equal("application/problem+json", response.ContentType);
        await NothingWasStored(client);
    }

    [Fact]
    public async Task json_with_a_charset_is_json()
    {
        var client = await AClient();

        var response = await Send("POST", "/api/v1/products", client, """{"name":"a","code":"c"}""", "application/json; charset=utf-8");

        Assert.Equal(201, response.Status);
    }

    [Fact]
    public async Task a_body_over_64_KiB_is_413()
    {
        var client = await AClient();
        var body = $$"""{"name":"a","code":"c","description":"{{new string('d', 64 * 1024)}}"}""";

        var response = await Send("POST", "/api/v1/products", client, body);

        Assert.Equal(413, response.Status);
        Assert.Equal("application/problem+json", response.ContentType);
        await NothingWasStored(client);
    }

    [Fact]
    public async Task a_body_over_64_KiB_without_a_length_is_413()
    {
        var client = await AClient();
        var body = $$"""{"name":"a","code":"c","description":"{{new string('d', 64 * 1024)}}"}""";

        var response = await Send("POST", "/api/v1/products", client, body, configure: request =>
        {
            request.ContentLength = null;
            request.Headers.TransferEncoding = "chunked";
        });

        Assert.Equal(413, response.Status);
        await NothingWasStored(client);
    }

    /// <summary>
    /// Through Kestrel, as deployed: a keyed POST's body is read first by Wolverine's idempotency fingerprint, a plain
    /// one only by the service's check; either way the answer is the same 413, with or without a length, it reaches the
    /// client whole (the body is read to its end: no reset), and nothing is stored.
    /// </summary>
    [Fact]
    public async Task over_kestrel_a_body_over_64_KiB_is_413_keyed_or_not()
    {
        var client = await AClient();
        await using var service = await ServiceProcess.Start();
        var body = $$"""{"name":"a","code":"c","description":"{{new string('d', 64 * 1024)}}"}""";

        foreach (var (keyed, chunked) in Enumerable.Repeat(new[] { (false, false), (true, false), (false, true), (true, true) }, 5).SelectMany(x => x))
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/products");
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", client.Key);
            if (keyed) request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
            request.Content = chunked
                ? new StreamContent(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(body)))
                : new StringContent(body, System.Text.Encoding.UTF8);
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            if (chunked) request.Headers.TransferEncodingChunked = true;

            using var response = await service.Http.SendAsync(request);

            Assert.True((int)response.StatusCode == 413, $"keyed {keyed}, chunked {chunked}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
        await NothingWasStored(client);
    }

    /// <summary>
    /// Through Kestrel: a body Kestrel cannot read (chunks it cannot parse, or one that stops arriving) is the client's
    /// fault, answered with Kestrel's own status as problem details, with no error in the service's log, and nothing is
    /// stored, keyed or not. It was a 500, and an unhandled exception logged at Error for every such client.
    /// </summary>
    [Theory]
    [InlineData("malformed chunks", false, 400)]
    [InlineData("malformed chunks", true, 400)]
    [InlineData("a body that stops arriving", false, 408)]
    [InlineData("a body that stops arriving", true, 408)]
    public async Task over_kestrel_a_body_kestrel_cannot_read_is_its_4xx_not_a_500(string what, bool keyed, int status)
    {
        var client = await AClient();
        await using var service = await ServiceProcess.Start();
        var port = new Uri(service.BaseUrl).Port;

        using var socket = new System.Net.Sockets.TcpClient();
        await socket.ConnectAsync(System.Net.IPAddress.Loopback, port);
        var stream = socket.GetStream();
        var head = "POST /api/v1/products HTTP/1.1\r\nHost: localhost\r\n" +
                   $"Authorization: Bearer {client.Key}\r\nContent-Type: application/json\r\n" +
                   (keyed ? $"Idempotency-Key: {Guid.NewGuid()}\r\n" : "") +
                   (what == "malformed chunks"
                       ? "Transfer-Encoding: chunked\r\n\r\nzz\r\n{\"name\":\"a\"}\r\n"
                       // Kestrel's MinRequestBodyDataRate: 240 bytes a second after a 5 s grace.
                       : "Content-Length: 100\r\n\r\n{\"name\":\"a\",");
        await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(head));

        using var reader = new StreamReader(stream, System.Text.Encoding.ASCII);
        var statusLine = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
        var headers = new List<string>();
        for (var line = await reader.ReadLineAsync(); !string.IsNullOrEmpty(line); line = await reader.ReadLineAsync()) headers.Add(line);

        Assert.StartsWith($"HTTP/1.1 {status} ", statusLine);
        Assert.Contains(headers, x => x.Equals("Content-Type: application/problem+json", StringComparison.OrdinalIgnoreCase));
        await NothingWasStored(client);
        // The request log has its line (written in batches: waited for), and the exception handler logged nothing, as it
        // did for an unhandled exception.
        var logged = $"\"Path\":\"/api/v1/products\",\"Status\":{status},";
        await Eventually(() => Task.FromResult(service.Output.Any(x => x.Contains(logged))), "the request log's line", seconds: 5);
        Assert.DoesNotContain(service.Output, x => x.Contains("Microsoft.AspNetCore.Diagnostics.ExceptionHandlerMiddleware"));
    }

    [Fact]
    public async Task an_unsupported_method_is_405_problem_details()
    {
        var client = await AClient();

        var response = await Send("PUT", "/api/v1/products", client, "{}");

        Assert.Equal(405, response.Status);
        Assert.Equal("application/problem+json", response.ContentType);
    }

    [Theory]
    [InlineData("PATCH", "/api/v1/products/{0}")]
    [InlineData("POST", "/api/v1/licenses/validate")]
    [InlineData("POST", "/api/v1/webhook-endpoints")]
    public async Task a_null_body_is_400_on_every_endpoint_that_needs_one(string method, string url)
    {
        var client = await AClient();
        var product = await CreateProduct(client);

        var response = await Send(method, string.Format(url, product.Id.ToString()), client, " \uFEFF null ".Trim());

        Assert.True(response.Status == 400, response.ToString());
        Assert.Contains("body", response.ErrorFields);
    }

    [Fact]
    public async Task wolverines_log_of_a_clients_bad_json_is_left_out_and_nothing_else_changes_level()
    {
        var loggers = Host.Services.GetRequiredService<Microsoft.Extensions.Logging.ILoggerFactory>();

        Assert.False(loggers.CreateLogger(typeof(Catalog.Products.CreateProduct).FullName!).IsEnabled(LogLevel.Error));
        Assert.True(loggers.CreateLogger(typeof(Catalog.Webhooks.WebhookFeed).FullName!).IsEnabled(LogLevel.Information));
        Assert.False(loggers.CreateLogger(typeof(Catalog.Webhooks.WebhookFeed).FullName!).IsEnabled(LogLevel.Debug));
        Assert.False(loggers.CreateLogger("Npgsql.Command").IsEnabled(LogLevel.Debug));
    }
}
