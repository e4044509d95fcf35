using System.Diagnostics;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;

namespace Catalog.Tests.Docs;

public class Telemetry(AppFixture fixture) : ApiTest(fixture)
{
    private readonly List<System.Diagnostics.Activity> _spans = [];

    public override async Task InitializeAsync()
    {
        await Fixture.RestartAsync(builder =>
        {
            builder.UseSetting("Telemetry:Enabled", "true");
            builder.ConfigureServices(services => services.ConfigureOpenTelemetryTracerProvider(t => t.AddInMemoryExporter(_spans)));
        });
        await base.InitializeAsync();
    }

    public override Task DisposeAsync() => Fixture.RestartAsync();

    [Fact]
    public async Task a_create_request_is_one_trace_through_http_wolverine_and_the_database()
    {
        var client = await AClient();
        lock (_spans) _spans.Clear();

        var product = await CreateProduct(client, AProduct("traced"));

        List<System.Diagnostics.Activity> spans = [];
        await Eventually(() =>
        {
            lock (_spans) spans = _spans.ToList();
            return Task.FromResult(spans.Any(x => x.Kind == ActivityKind.Server && x.DisplayName.Contains("/api/v1/products")));
        }, "the HTTP span");
        var http = spans.Single(x => x.Kind == ActivityKind.Server && x.DisplayName.Contains("/api/v1/products"));
        var trace = spans.Where(x => x.TraceId == http.TraceId).ToList();

        Assert.Equal("POST", http.GetTagItem("http.request.method"));
        Assert.Equal(201, http.GetTagItem("http.response.status_code"));
        // Wolverine marks the request's span with the tenant (the account) it ran for.
        Assert.Contains(http.TagObjects, x => x.Key.Contains("tenant") && Equals(x.Value?.ToString(), client.AccountId.ToString()));
        // The database work of the request is in the same trace: Marten's connection and Npgsql's commands.
        Assert.Contains(trace, x => x.Source.Name == "Npgsql");
        Assert.Contains(trace, x => x.Source.Name == "Marten");
        Assert.NotEqual(Guid.Empty, product.Id);
    }
}
