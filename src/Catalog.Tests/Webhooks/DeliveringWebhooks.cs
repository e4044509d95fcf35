using System.Security.Cryptography;
using System.Text;
using Catalog.Webhooks;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Catalog.Tests.Webhooks;

public class DeliveringWebhooks(AppFixture fixture) : ApiTest(fixture)
{
    private async Task<(Guid Id, string Secret)> Subscribe(Client client, Receiver receiver, params string[] events)
    {
        var response = await Post("/api/v1/webhook-endpoints", client, new { url = receiver.Url, events });
        Assert.Equal(201, response.Status);
        var endpoint = response.As<WebhookEndpointCreated>();
        return (endpoint.Id, endpoint.Secret);
    }

    private async Task<List<DeliveryAttempt>> Deliveries(Client client, Guid endpointId)
    {
        var response = await Get($"/api/v1/webhook-endpoints/{endpointId}/deliveries", client);
        Assert.True(response.Status == 200, response.ToString());
        return response.As<List<DeliveryAttempt>>();
    }

    private static bool SignatureVerifies(Receiver.Received received, string secret)
    {
        var parts = received.Signature!.Split(',').Select(x => x.Split('=', 2)).ToDictionary(x => x[0], x => x[1]);
        var expected = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{parts["t"]}.{received.Body}"));
        return CryptographicOperations.FixedTimeEquals(expected, Convert.FromHexString(parts["v1"]))
               && Math.Abs(DateTimeOffset.UtcNow.ToUnixTimeSeconds() - long.Parse(parts["t"])) < 300;
    }

    [Fact]
    public async Task a_matching_event_arrives_signed_with_the_endpoints_secret()
    {
        await using var receiver = await Receiver.Start();
        var client = await AClient();
        var (_, secret) = await Subscribe(client, receiver, "product.created");

        var product = await CreateProduct(client, AProduct("hooked"));
        await Patch($"/api/v1/products/{product.Id}", client, new { name = "Not subscribed" });

        await Eventually(() => Task.FromResult(!receiver.Requests.IsEmpty), "the delivery of product.created");
        var received = Assert.Single(receiver.Requests);
        Assert.True(SignatureVerifies(received, secret), received.Signature);
        var body = JsonDocument.Parse(received.Body).RootElement;
        Assert.Equal(["id", "type", "createdAt", "data"], body.EnumerateObject().Select(x => x.Name));
        Assert.Equal("product.created", body.GetProperty("type").GetString());
        Assert.Equal(7, body.GetProperty("id").GetGuid().Version);
        Assert.Equal("hooked", body.GetProperty("data").GetProperty("code").GetString());
        Assert.Matches(Products.CreatingProducts.Timestamp, body.GetProperty("createdAt").GetString());
        Assert.False(SignatureVerifies(received with { Body = received.Body + " " }, secret));

        await Task.Delay(1000); // the update is not subscribed to: nothing more arrives
        Assert.Single(receiver.Requests);
    }

    [Fact]
    public async Task a_failing_receiver_gets_the_same_event_again_until_it_succeeds()
    {
        await using var receiver = await Receiver.Start(failFirst: 2);
        var client = await AClient();
        var (endpointId, _) = await Subscribe(client, receiver, "product.created");

        await CreateProduct(client);

        await Eventually(() => Task.FromResult(receiver.Requests.Count >= 3), "three attempts");
        var ids = receiver.Requests.Select(x => JsonDocument.Parse(x.Body).RootElement.GetProperty("id").GetString()).ToList();
        Assert.Single(ids.Distinct());

        ApiResponse deliveries = null!;
        await Eventually(async () =>
        {
            deliveries = await Get($"/api/v1/webhook-endpoints/{endpointId}/deliveries", client);
            return deliveries.Data.GetArrayLength() == 3;
        }, "three recorded attempts");
        Assert.Equal(["id", "eventId", "type", "attempt", "status", "responseCode", "attemptedAt"], deliveries.Data[0].EnumerateObject().Select(x => x.Name));
        var attempts = deliveries.As<List<DeliveryAttempt>>();
        Assert.Equal([3, 2, 1], attempts.Select(x => x.Attempt));
        Assert.Equal(["succeeded", "failed", "failed"], attempts.Select(x => x.Status));
        Assert.Equal([200, 503, 503], attempts.Select(x => x.ResponseCode!.Value));
        Assert.All(attempts, x => Assert.Equal(ids[0], x.EventId.ToString()));

        await Task.Delay(1000); // succeeded: no more attempts
        Assert.Equal(3, receiver.Requests.Count);
    }

    [Fact]
    public async Task a_refused_connection_is_a_failure_that_is_retried()
    {
        var client = await AClient();
        await using var receiver = await Receiver.Start();
        var url = receiver.Url;
        await receiver.DisposeAsync(); // nothing listens there any more
        var created = await Post("/api/v1/webhook-endpoints", client, new { url, events = new[] { "product.created" } });
        Assert.Equal(201, created.Status);
        var endpoint = created.As<WebhookEndpointCreated>();

        await CreateProduct(client);

        await Eventually(async () => (await Deliveries(client, endpoint.Id)).Count >= 2, "two failed attempts");
        var deliveries = await Get($"/api/v1/webhook-endpoints/{endpoint.Id}/deliveries", client);
        Assert.All(deliveries.As<List<DeliveryAttempt>>(), x => Assert.Equal("failed", x.Status));
        // No answer, so no code: present and null.
        Assert.All(deliveries.Data.EnumerateArray(), x => Assert.Equal(JsonValueKind.Null, x.GetProperty("responseCode").ValueKind));
        await Delete($"/api/v1/webhook-endpoints/{endpoint.Id}", client); // and deleting it stops the retries
    }

    [Fact]
    public async Task another_accounts_events_never_reach_an_endpoint()
    {
        await using var receiver = await Receiver.Start();
        var subscriber = await AClient();
        var stranger = await AClient();
        await Subscribe(subscriber, receiver, "product.created");

        await CreateProduct(stranger, AProduct("strangers"));
        await CreateProduct(subscriber, AProduct("mine"));

        await Eventually(() => Task.FromResult(!receiver.Requests.IsEmpty), "the subscriber's own event");
        await Task.Delay(1000);
        var received = Assert.Single(receiver.Requests);
        Assert.Equal("mine", JsonDocument.Parse(received.Body).RootElement.GetProperty("data").GetProperty("code").GetString());
    }

    [Fact]
    public async Task a_delivery_waiting_for_its_retry_survives_a_restart()
    {
        // A first retry 3 s out, so that the host can be restarted while it waits.
        await Fixture.RestartAsync(builder => builder.UseSetting("Webhooks:RetrySchedule", "3s"));
        try
        {
            await using var receiver = await Receiver.Start(failFirst: 1);
            var client = await AClient();
            var (endpointId, _) = await Subscribe(client, receiver, "license.issued");
            await IssueLicense(client, (await CreateProduct(client)).Id);
            await Eventually(() => Task.FromResult(receiver.Requests.Count == 1), "the first, failing attempt");

            await Fixture.RestartAsync(builder => builder.UseSetting("Webhooks:RetrySchedule", "3s"));

            await Eventually(() => Task.FromResult(receiver.Requests.Count >= 2), "the retry, from the restarted host");
            var ids = receiver.Requests.Select(x => JsonDocument.Parse(x.Body).RootElement.GetProperty("id").GetString()).ToList();
            Assert.Single(ids.Distinct());
            await Task.Delay(1500);
            Assert.Equal(2, receiver.Requests.Count);
            Assert.Equal(["succeeded", "failed"], (await Deliveries(client, endpointId)).Select(x => x.Status));
        }
        finally
        {
            await Fixture.RestartAsync();
        }
    }

    [Fact]
    public async Task a_receiver_whose_answer_never_ends_is_a_success_read_no_further_than_its_headers()
    {
        // A service that read the answer's body would wait for it until its timeout and call the attempt a failure
        // (or hold gigabytes of it in memory, for a receiver that answers a huge body).
        var client = await AClient();
        await using var receiver = await Receiver.Start(endlessAnswer: true);
        var (id, _) = await Subscribe(client, receiver, "product.created");

        await CreateProduct(client);

        await Eventually(async () => (await Deliveries(client, id)).Count >= 1, "the delivery");
        var attempt = (await Deliveries(client, id))[0];
        Assert.Equal(("succeeded", (int?)200), (attempt.Status, attempt.ResponseCode));
        Assert.Single(receiver.Requests);
    }

    [Fact]
    public async Task deliveries_queued_for_an_account_that_is_gone_end_quietly()
    {
        // An account no longer placed (with shards, Marten would look each one up under its registry's lock and throw).
        var gone = Guid.NewGuid();
        await Task.WhenAll(Enumerable.Range(1, 20).Select(async attempt =>
        {
            await using var scope = Host.Services.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<Wolverine.IMessageBus>().InvokeForTenantAsync(gone.ToString(),
                new DeliverWebhook(gone, Guid.NewGuid(), Guid.NewGuid(), "product.created", DateTimeOffset.UtcNow, "{}", attempt, null));
        }));

        // And accounts are still made and served as before.
        var client = await AClient();
        var product = await CreateProduct(client);
        Assert.Equal(200, (await Get($"/api/v1/products/{product.Id}", client)).Status);
    }
}
