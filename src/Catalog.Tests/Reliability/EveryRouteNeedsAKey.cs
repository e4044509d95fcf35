using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Catalog.Tests.Reliability;

public class EveryRouteNeedsAKey(AppFixture fixture) : ApiTest(fixture)
{
    [Fact]
    public async Task no_route_answers_without_a_key_but_health_docs_and_the_public_signing_keys()
    {
        var owner = await AClient();
        var product = await CreateProduct(owner);
        var routes = Host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .SelectMany(x => (x.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"]).Select(method => (method, pattern: "/" + x.RoutePattern.RawText!.TrimStart('/'))))
            .ToList();
        Assert.True(routes.Count(x => x.pattern.StartsWith("/api/")) >= 15);

        foreach (var (method, pattern) in routes)
        {
            var open = pattern.StartsWith("/health/") || pattern.StartsWith("/openapi/") || pattern.StartsWith("/docs")
                       || pattern is "/portal" or "/console" || pattern.StartsWith("/ui/") // pages, signed in on the page
                       || pattern == "/api/v1/accounts/{accountId}/jwks.json"; // public keys, public by nature
            if (open || method is "OPTIONS" or "HEAD") continue;
            var url = pattern.Replace("{id}", product.Id.ToString());
            var response = await Send(method, url, null, method is "POST" or "PATCH" ? "{}" : null);
            Assert.True(response.Status == 401, $"{method} {url} answered {response.Status} without a key");
        }

        Assert.Equal(200, (await Send("GET", "/health/live", null)).Status);
        Assert.Equal(200, (await Send("GET", "/openapi/v1.json", null)).Status);
        // The JWK Set shows public keys and nothing else of the account.
        var jwks = await Send("GET", $"/api/v1/accounts/{owner.AccountId}/jwks.json", null);
        Assert.Equal(200, jwks.Status);
        Assert.Equal(["keys"], jwks.Json.EnumerateObject().Select(x => x.Name));
    }
}
