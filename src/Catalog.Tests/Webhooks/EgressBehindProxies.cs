using System.Net;
using Catalog.Tests.Reliability;
using Catalog.Webhooks;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Catalog.Tests.Webhooks;

/// <summary>
/// The egress guard checks where a delivery goes, not a proxy's address: deliveries never use the environment's proxy
/// (HTTP_PROXY and the like), and through the operator's own Webhooks:Proxy each request's target is still checked.
/// Every proxy and receiver here is on loopback; a target that is not (a global address literal) is only ever named
/// to the fake proxy, which answers for it.
/// </summary>
public class EgressBehindProxies(AppFixture fixture) : ApiTest(fixture)
{
    /// <summary>A global address: allowed by the guard, never contacted (the fake proxy answers for it).</summary>
    private const string PublicTarget = "http://93.184.216.34/hook";

    [UnshardedProcessFact]
    public async Task deliveries_never_go_through_the_environments_proxy()
    {
        await using var proxy = new FakeProxy();
        await using var receiver = await Receiver.Start();
        await using var database = await OwnDatabase.Create("envproxy");
        var environment = new Dictionary<string, string> { ["ConnectionStrings__Catalog"] = database.ConnectionString };
        var client = await database.AClient(environment);
        // .NET's default proxy on Linux comes from these, either case; nothing is exempted from it.
        var proxied = new Dictionary<string, string>(environment);
        foreach (var name in new[] { "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY" })
        {
            proxied[name] = proxy.Url;
            proxied[name.ToLowerInvariant()] = proxy.Url;
        }
        proxied["NO_PROXY"] = "";
        proxied["no_proxy"] = "";
        await using var service = await ServiceProcess.Start(proxied);
        using var http = Load.ClientFor(service.BaseUrl, client.Key);

        var created = await http.PostAsync("/api/v1/webhook-endpoints",
            Json($$"""{"url":"{{receiver.Url}}","events":["product.created"]}"""));
        Assert.Equal(201, (int)created.StatusCode);
        Assert.Equal(201, (int)(await http.PostAsync("/api/v1/products", Json("""{"name":"Direct","code":"direct"}"""))).StatusCode);

        await Eventually(() => Task.FromResult(!receiver.Requests.IsEmpty || !proxy.Requests.IsEmpty), "the delivery");
        Assert.Empty(proxy.Requests); // the proxy would answer for the receiver, which would then hear nothing
        Assert.Single(receiver.Requests);
        Assert.Equal(0, proxy.Connections);
    }

    [Fact]
    public async Task through_an_explicit_proxy_every_requests_target_is_still_checked()
    {
        await using var proxy = new FakeProxy();
        // A loopback receiver that forbidden endpoints name: it must hear nothing, by the proxy or directly.
        await using var receiver = await Receiver.Start();
        await Fixture.RestartAsync(builder =>
        {
            builder.UseSetting("Webhooks:AllowPrivateNetworks", "false");
            builder.UseSetting("Webhooks:Proxy", proxy.Url);
        });
        try
        {
            await base.InitializeAsync();
            TheWebhookClientGoesThrough(proxy);

            var client = await AClient();
            var created = await Post("/api/v1/webhook-endpoints", client, new { url = PublicTarget, events = new[] { "product.created" } });
            Assert.True(created.Status == 201, created.ToString());
            var made = created.As<WebhookEndpointCreated>();
            var allowed = made.Id.ToString();
            var secret = made.Secret;

            // Endpoints whose URLs creation would refuse, stored as if before the check or under a name that now
            // resolves inward: an address literal, loopback by address and by name, IPv6 loopback.
            var port = new Uri(receiver.Url).Port;
            List<WebhookEndpoint> forbidden;
            string[] forbiddenUrls =
            [
                "http://169.254.169.254/latest/meta-data", receiver.Url, $"http://localhost:{port}/hook", $"http://[::1]:{port}/hook"
            ];
            await using (var session = Store.LightweightSession(client.AccountId.ToString()))
            {
                // Slots the created endpoint did not take (creation picks one of the free slots at random).
                var taken = (await session.LoadAsync<WebhookEndpoint>(made.Id))!.Slot;
                var slots = Enumerable.Range(0, 20).Where(x => x != taken).ToArray();
                forbidden = forbiddenUrls.Select((url, i) => new WebhookEndpoint(Guid.CreateVersion7(), client.AccountId, url,
                    ["product.created"], WebhookSignature.NewSecret(), DateTimeOffset.UtcNow, slots[i])).ToList();
                session.Insert(forbidden.ToArray());
                await session.SaveChangesAsync();
            }

            await CreateProduct(client);

            async Task<JsonElement> Deliveries(string id) => (await Get($"/api/v1/webhook-endpoints/{id}/deliveries", client)).Data;
            await Eventually(async () => (await Deliveries(allowed)).GetArrayLength() >= 1, "the delivery through the proxy");
            // Each forbidden endpoint refused twice, the first attempt and a retry (every 300 ms in the tests), unless
            // an attempt got through (a success ends the retries), which the assertions below report.
            foreach (var endpoint in forbidden)
                await Eventually(async () => await Deliveries(endpoint.Id.ToString()) is var attempts
                    && (attempts.GetArrayLength() >= 2 || attempts.EnumerateArray().Any(x => x.GetProperty("status").GetString() != "failed")),
                    $"two attempts to {endpoint.Url}");

            var delivered = (await Get($"/api/v1/webhook-endpoints/{allowed}/deliveries", client)).As<List<DeliveryAttempt>>()[0];
            Assert.Equal(("succeeded", (int?)200), (delivered.Status, delivered.ResponseCode));
            foreach (var endpoint in forbidden)
                Assert.All((await Deliveries(endpoint.Id.ToString())).EnumerateArray(), attempt =>
                {
                    Assert.True(attempt.GetProperty("status").GetString() == "failed", $"{endpoint.Url}: {attempt}");
                    Assert.Equal(JsonValueKind.Null, attempt.GetProperty("responseCode").ValueKind);
                });

            // The proxy was asked for a tunnel to the allowed target's checked address only, never to a name it would
            // resolve itself, and the delivery came through it, signed.
            Assert.Contains(proxy.Requests, x => x.Line == "CONNECT 93.184.216.34:80 HTTP/1.1");
            Assert.Contains(proxy.Requests, x => x.Line == "POST /hook HTTP/1.1");
            Assert.All(proxy.Requests, request =>
            {
                if (request.Line.StartsWith("CONNECT ", StringComparison.Ordinal))
                {
                    Assert.Equal("CONNECT 93.184.216.34:80 HTTP/1.1", request.Line);
                    return;
                }
                Assert.Equal("POST /hook HTTP/1.1", request.Line);
                Assert.Equal("93.184.216.34", request.Headers["Host"]);
                var signature = request.Headers["Catalog-Signature"];
                var t = long.Parse(signature.Split(',')[0]["t=".Length..]);
                Assert.Equal(WebhookSignature.Sign(secret, t, request.Body), signature);
            });
            Assert.Empty(receiver.Requests);

            foreach (var id in forbidden.Select(x => x.Id.ToString()).Append(allowed))
                await Delete($"/api/v1/webhook-endpoints/{id}", client);
        }
        finally
        {
            await Fixture.RestartAsync();
        }
    }

    /// <summary>
    /// Before any delivery is made: the host's webhook client sends through the fake proxy and checks targets, so a
    /// mistake here fails the test instead of letting the public target be contacted.
    /// </summary>
    private void TheWebhookClientGoesThrough(FakeProxy proxy)
    {
        HttpMessageHandler? handler = Host.Services.GetRequiredService<IHttpMessageHandlerFactory>().CreateHandler(WebhooksConfiguration.HttpClientName);
        var chain = new List<HttpMessageHandler>();
        while (handler is not null)
        {
            chain.Add(handler);
            handler = (handler as DelegatingHandler)?.InnerHandler;
        }
        // Connections are made by the guard's tunnel through the proxy, and no HTTP proxy of the handler's own.
        var sockets = Assert.IsType<SocketsHttpHandler>(chain[^1]);
        Assert.False(sockets.UseProxy);
        var tunnel = Assert.IsType<EgressGuard.ProxyTunnel>(sockets.ConnectCallback?.Target);
        Assert.Equal(new Uri(proxy.Url), tunnel.Proxy);
    }

    [Theory]
    [InlineData("proxy.internal:3128")]
    [InlineData("https://proxy.internal:3128")]
    [InlineData("socks5://proxy.internal:1080")]
    [InlineData("http://user:secret@proxy.internal:3128")]
    [InlineData("http://proxy.internal:3128/path")]
    [InlineData("http://proxy.internal:3128/?q=1")]
    [InlineData("not a url")]
    public void a_malformed_proxy_is_refused_in_one_line_naming_the_setting(string proxy)
    {
        var error = Assert.Throws<FormatException>(() => new WebhookSettings { Proxy = proxy }.ProxyUri());
        Assert.StartsWith("Webhooks:Proxy ", error.Message);
        Assert.DoesNotContain('\n', error.Message);
        Assert.DoesNotContain("secret", error.Message);
    }

    [Theory]
    [InlineData("http://proxy.internal:3128", "proxy.internal", 3128)]
    [InlineData("http://10.0.0.1:3128/", "10.0.0.1", 3128)]
    [InlineData("http://[fd00::1]:8080", "[fd00::1]", 8080)]
    [InlineData("http://proxy.internal", "proxy.internal", 80)]
    public void a_proxy_is_an_http_url(string proxy, string host, int port)
    {
        var uri = new WebhookSettings { Proxy = proxy }.ProxyUri()!;
        Assert.Equal((host, port), (uri.Host, uri.Port));
    }

    [Fact]
    public void without_a_proxy_there_is_none() =>
        Assert.Null(new WebhookSettings().ProxyUri());

    [Fact]
    public async Task the_executable_does_not_start_with_a_malformed_proxy()
    {
        // The settings are read as the services are registered, before the server or any command runs.
        var run = await CommandLineRunner.Run(["help"], new Dictionary<string, string> { ["Webhooks__Proxy"] = "https://proxy.internal:3128" });
        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("Webhooks:Proxy must be the http:// URL of a forward proxy", run.Error);
    }
}

/// <summary>
/// A test that starts a service process on a database of its own (OwnDatabase): with shards the process would
/// inherit the run's Sharding__Databases__* and take its database for their directory, so it is skipped, saying so.
/// Its subject (how deliveries leave the process) does not depend on the storage mode.
/// </summary>
public sealed class UnshardedProcessFactAttribute : FactAttribute
{
    public UnshardedProcessFactAttribute()
    {
        if (StorageMode.Sharded) Skip = "starts a service on a database of its own, which the run's shard settings would reach; egress is the same in both modes";
    }
}
