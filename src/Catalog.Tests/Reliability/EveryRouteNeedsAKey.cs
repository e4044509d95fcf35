using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Catalog.Tests.Reliability;

public class EveryRouteNeedsAKey(AppFixture fixture) : ApiTest(fixture)
{
    [Fact]
    public async Task no_route_answers_without_a_key_but_health_and_docs()
    {
        var owner = await AClient();
        var product = await CreateProduct(owner);
        var routes = Host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .SelectMany(x => (x.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"]).Select(method => (method, pattern: "/" + x.RoutePattern.RawText!.TrimStart('/'))))
            .ToList();
        Assert.True(routes.Count(x => x.pattern.StartsWith("/api/")) >= 15);

        foreach (var (method, pattern) in routes)
        {
            var open = pattern.StartsWith("/health/") || pattern.StartsWith("/openapi/") || pattern.StartsWith("/docs");
            if (open || method is "OPTIONS" or "HEAD") continue;
            var url = pattern.Replace("{id}", product.GetProperty("id").GetString());
            var response = await Send(method, url, null, method is "POST" or "PATCH" ? "{}" : null);
            Assert.True(response.Status == 401, $"{method} {url} answered {response.Status} without a key");
        }

        Assert.Equal(200, (await Send("GET", "/health/live", null)).Status);
        Assert.Equal(200, (await Send("GET", "/openapi/v1.json", null)).Status);
    }
}
