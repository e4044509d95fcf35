using Catalog.Webhooks;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Catalog.Tests.Webhooks;

/// <summary>
/// An endpoint with only failures for 72 hours is disabled and sent nothing until PATCHed back on; delivery
/// records are kept for Webhooks:KeepDeliveriesFor (30 days).
/// </summary>
public class FailingEndpoints(AppFixture fixture) : ApiTest(fixture)
{
    private async Task<Guid> Subscribe(Client client, string url)
    {
        var response = await Post("/api/v1/webhook-endpoints", client, new { url, events = new[] { "product.created" } });
        Assert.Equal(201, response.Status);
        return response.As<WebhookEndpointCreated>().Id;
    }

    private async Task<WebhookEndpointSummary> Listed(Client client, Guid id) =>
        (await Get("/api/v1/webhook-endpoints", client)).As<List<WebhookEndpointSummary>>().Single(x => x.Id == id);

    private async Task<List<DeliveryAttempt>> Deliveries(Client client, Guid id)
    {
        var response = await Get($"/api/v1/webhook-endpoints/{id}/deliveries", client);
        Assert.True(response.Status == 200, response.ToString());
        return response.As<List<DeliveryAttempt>>();
    }

    [Fact]
    public async Task an_endpoint_failing_for_72_hours_is_disabled_and_turned_back_on_by_patch()
    {
        await using var receiver = await Receiver.Start(failFirst: int.MaxValue);
        var client = await AClient();
        var id = await Subscribe(client, receiver.Url);
        Assert.Equal("enabled", (await Listed(client, id)).Status);
        // As if its attempts had all failed for three days.
        await using (var session = Store.LightweightSession(client.AccountId.ToString()))
        {
            var endpoint = (await session.LoadAsync<WebhookEndpoint>(id))!;
            session.Store(endpoint with { FailingSince = DateTimeOffset.UtcNow.AddHours(-73) });
            await session.SaveChangesAsync();
        }

        await CreateProduct(client);

        await Eventually(async () => (await Listed(client, id)).Status == "disabled", "the endpoint to be disabled");
        Assert.Single(receiver.Requests);
        await CreateProduct(client);
        await Task.Delay(1500); // more than the retry schedule's 300 ms: a disabled endpoint gets no retry and no new event
        Assert.Single(receiver.Requests);

        var enabled = await Patch($"/api/v1/webhook-endpoints/{id}", client, new { status = "enabled" });
        Assert.Equal(200, enabled.Status);
        Assert.Equal(["id", "url", "events", "status", "createdAt"], enabled.Data.EnumerateObject().Select(x => x.Name));
        Assert.Equal("enabled", enabled.As<WebhookEndpointSummary>().Status);
        await CreateProduct(client);
        await Eventually(() => Task.FromResult(receiver.Requests.Count >= 2), "a delivery to the endpoint turned back on");
        // Its failures start afresh: one more failure does not disable it again.
        await Task.Delay(500);
        Assert.Equal("enabled", (await Listed(client, id)).Status);
    }

    [Fact]
    public async Task an_endpoint_can_be_paused_and_bad_patches_are_400()
    {
        await using var receiver = await Receiver.Start();
        var client = await AClient();
        var id = await Subscribe(client, receiver.Url);

        Assert.Equal("disabled", (await Patch($"/api/v1/webhook-endpoints/{id}", client, new { status = "disabled" })).As<WebhookEndpointSummary>().Status);
        await CreateProduct(client);
        await Task.Delay(1000);
        Assert.Empty(receiver.Requests);

        Assert.Contains("status", (await Patch($"/api/v1/webhook-endpoints/{id}", client, new { status = "paused" })).ErrorFields);
        Assert.Contains("status", (await Send("PATCH", $"/api/v1/webhook-endpoints/{id}", client, """{"status":null}""")).ErrorFields);
        Assert.Equal(400, (await Send("PATCH", $"/api/v1/webhook-endpoints/{id}", client, """{"url":"https://example.com/other"}""")).Status);
        Assert.Equal("disabled", (await Listed(client, id)).Status);
        var other = await AClient();
        Assert.Equal(404, (await Patch($"/api/v1/webhook-endpoints/{id}", other, new { status = "enabled" })).Status);
        var readOnly = await AKeyFor(client.AccountId, AllScopes.Where(x => x != Scopes.WebhooksWrite).ToArray());
        Assert.Equal(403, (await Patch($"/api/v1/webhook-endpoints/{id}", readOnly, new { status = "enabled" })).Status);
    }

    [Fact]
    public async Task delivery_records_older_than_thirty_days_are_purged()
    {
        await using var receiver = await Receiver.Start();
        var client = await AClient();
        var id = await Subscribe(client, receiver.Url);
        await CreateProduct(client);
        await Eventually(async () => (await Deliveries(client, id)).Count == 1, "the delivery record");
        await using (var session = Store.LightweightSession(client.AccountId.ToString()))
        {
            session.Store(new WebhookDelivery(Guid.CreateVersion7(), id, Guid.CreateVersion7(), "product.created", 1,
                DeliveryStatus.Succeeded, 200, DateTimeOffset.UtcNow.AddDays(-31)));
            await session.SaveChangesAsync();
        }
        Assert.Equal(2, (await Deliveries(client, id)).Count);

        await Host.Services.GetServices<Wolverine.Runtime.Agents.IAgentFamily>().OfType<DeliveryRecordsPurge>().Single().PurgeAsync(CancellationToken.None);

        var kept = Assert.Single(await Deliveries(client, id));
        Assert.True(kept.AttemptedAt > DateTimeOffset.UtcNow.AddDays(-1));
    }
}
