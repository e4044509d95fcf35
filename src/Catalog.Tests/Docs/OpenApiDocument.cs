using System.Diagnostics;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Catalog.Tests.Docs;

public class OpenApiDocument(AppFixture fixture) : ApiTest(fixture)
{
    private async Task<JsonElement> Document()
    {
        var response = await Send("GET", "/openapi/v1.json", null);
        Assert.Equal(200, response.Status);
        return response.Json;
    }

    /// <summary>
    /// Anyone may fetch the document without a credential, so it is built once, not per request (≈14 ms of CPU and
    /// 134 KB each, which pushed validation latency up 40-fold under anonymous fetches): the same bytes every time, and
    /// a tag that lets a client ask again for nothing.
    /// </summary>
    [Fact]
    public async Task the_document_is_built_once_and_asked_again_for_nothing()
    {
        var first = await Send("GET", "/openapi/v1.json", null);
        var second = await Send("GET", "/openapi/v1.json", null);
        Assert.Equal(200, second.Status);
        Assert.Equal(first.Text, second.Text);
        var tag = first.Headers.ETag.ToString();
        Assert.Matches("^\"[0-9a-f]{32}\"$", tag);
        Assert.Equal(tag, second.Headers.ETag.ToString());
        Assert.Equal("/", first.Json.GetProperty("servers")[0].GetProperty("url").GetString()); // no host a request named

        var unchanged = await Send("GET", "/openapi/v1.json", null, configure: x => x.Headers.IfNoneMatch = tag);
        Assert.Equal(304, unchanged.Status);
        Assert.Empty(unchanged.Text);
    }

    [Fact]
    public async Task every_route_the_service_maps_is_in_the_document()
    {
        var document = await Document();
        var documented = document.GetProperty("paths").EnumerateObject()
            .SelectMany(path => path.Value.EnumerateObject().Select(op => $"{op.Name.ToUpperInvariant()} {path.Name}"))
            .ToHashSet();

        var mapped = Host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(x => x.RoutePattern.RawText?.StartsWith("/api/", StringComparison.Ordinal) == true
                        || x.RoutePattern.RawText?.StartsWith("api/", StringComparison.Ordinal) == true)
            .SelectMany(x => (x.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? []).Select(method =>
                $"{method} /{x.RoutePattern.RawText!.TrimStart('/')}"))
            .ToHashSet();

        Assert.True(mapped.Count >= 15, string.Join(", ", mapped));
        Assert.Empty(mapped.Except(documented));
    }

    [Fact]
    public async Task the_document_describes_keys_problems_and_the_contracts_rules()
    {
        var document = await Document();

        Assert.StartsWith("3.1", document.GetProperty("openapi").GetString());
        // Every named schema is named for the domain, none for a .NET type (JsonElement, any JSON value, is inlined).
        var named = document.GetProperty("components").GetProperty("schemas").EnumerateObject().Select(x => x.Name).ToList();
        Assert.DoesNotContain("JsonElement", named);
        Assert.Contains("Product", named);
        var schemes = document.GetProperty("components").GetProperty("securitySchemes");
        Assert.Equal("bearer", schemes.GetProperty("bearer").GetProperty("scheme").GetString());
        Assert.Equal("X-API-Key", schemes.GetProperty("apiKey").GetProperty("name").GetString());

        var create = document.GetProperty("paths").GetProperty("/api/v1/products").GetProperty("post");
        Assert.Equal("createProduct", create.GetProperty("operationId").GetString());
        foreach (var status in new[] { "201", "400", "401", "403", "409", "413", "415", "429" })
            Assert.True(create.GetProperty("responses").TryGetProperty(status, out _), status);
        Assert.Contains("problem+json", create.GetProperty("responses").GetProperty("409").GetProperty("content").EnumerateObject().First().Name);

        var schema = document.GetProperty("components").GetProperty("schemas").GetProperty("CreateProduct");
        Assert.Equal(["name", "code"], schema.GetProperty("required").EnumerateArray().Select(x => x.GetString()));
        var fields = schema.GetProperty("properties");
        Assert.Equal(255, fields.GetProperty("name").GetProperty("maxLength").GetInt32());
        Assert.Equal("^[A-Za-z0-9_-]{1,50}$", fields.GetProperty("code").GetProperty("pattern").GetString());
        Assert.Equal("^[A-Z]{2,10}$", fields.GetProperty("keyPrefix").GetProperty("pattern").GetString());
        Assert.Equal(64, fields.GetProperty("metadata").GetProperty("maxProperties").GetInt32());
        Assert.Equal("desktop-app-pro", schema.GetProperty("examples")[0].GetProperty("code").GetString());
    }

    [Fact]
    public async Task the_document_and_the_reference_page_need_no_key()
    {
        var docs = await Send("GET", "/docs/", null);

        Assert.Equal(200, docs.Status);
        Assert.Contains("Catalog API", docs.Text);
    }

    /// <summary>Redocly's linter, from npm, with its recommended rules: no errors allowed.</summary>
    [Fact]
    public async Task the_document_passes_an_openapi_linter()
    {
        var response = await Send("GET", "/openapi/v1.json", null);
        var file = Path.Combine(Path.GetTempPath(), $"catalog-openapi-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, response.Text);
        try
        {
            var start = new ProcessStartInfo(TestTools.Bin("redocly"), ["lint", file, "--format=summary"])
            {
                RedirectStandardOutput = true, RedirectStandardError = true
            };
            start.Environment["REDOCLY_TELEMETRY"] = "off";
            start.Environment["REDOCLY_SUPPRESS_UPDATE_NOTICE"] = "true";
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromMinutes(5)).Token);
            var text = await output + await error;
            Assert.True(process.ExitCode == 0, text);
            Assert.Contains("valid", text);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
