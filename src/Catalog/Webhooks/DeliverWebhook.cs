using System.Text;
using System.Text.Json;
using Catalog.Conventions;
using Marten;
using Wolverine;

namespace Catalog.Webhooks;

/// <summary>One event to POST to one endpoint; the same event id on every attempt.</summary>
public record DeliverWebhook(
    Guid AccountId,
    Guid EndpointId,
    Guid EventId,
    string Type,
    DateTimeOffset CreatedAt,
    string Data,
    int Attempt,
    DateTimeOffset? FirstAttemptAt);

/// <summary>The body subscribers receive: <c>{id, type, createdAt, data}</c>.</summary>
public record WebhookBody(Guid Id, string Type, DateTimeOffset CreatedAt, JsonElement Data);

public static class DeliverWebhookHandler
{
    /// <summary>
    /// Makes one attempt and records it. On failure it returns the next attempt, scheduled on the retry schedule;
    /// Wolverine stores that scheduled message in PostgreSQL in the same transaction as the record of this
    /// attempt (and marks this message handled), so no delivery is lost to a restart. A deleted endpoint ends
    /// its deliveries.
    /// </summary>
    public static async Task<object?> Handle(
        DeliverWebhook delivery,
        IDocumentSession session,
        IHttpClientFactory clients,
        WebhookSettings settings,
        TimeProvider time,
        ILogger<WebhookFeed> logger,
        CancellationToken token)
    {
        var endpoint = await session.LoadAsync<WebhookEndpoint>(delivery.EndpointId, token);
        if (endpoint is null) return null;

        var now = time.UtcNow();
        var body = JsonSerializer.Serialize(
            new WebhookBody(delivery.EventId, delivery.Type, delivery.CreatedAt, JsonDocument.Parse(delivery.Data).RootElement),
            ApiJson.Options);

        int? responseCode = null;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, endpoint.Url)
            {
                Content = new StringContent(body, Encoding.UTF8, "application/json")
            };
            request.Headers.TryAddWithoutValidation(WebhookSignature.Header,
                WebhookSignature.Sign(endpoint.Secret, time.GetUtcNow().ToUnixTimeSeconds(), body));
            request.Headers.TryAddWithoutValidation("Catalog-Event-Id", delivery.EventId.ToString());
            request.Headers.UserAgent.ParseAdd("Catalog-Webhooks/1.0");

            // The status is the answer: the receiver's body is never read, so a huge one costs nothing.
            using var response = await clients.CreateClient(WebhooksConfiguration.HttpClientName)
                .SendAsync(request, HttpCompletionOption.ResponseHeadersRead, token);
            responseCode = (int)response.StatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !token.IsCancellationRequested)
        {
            logger.LogInformation("Webhook delivery {EventId} to {Url} failed: {Reason}", delivery.EventId, Logged(endpoint.Url), e.Message);
        }

        var succeeded = responseCode is >= 200 and < 300;
        session.Store(new WebhookDelivery(Guid.CreateVersion7(), endpoint.Id, delivery.EventId, delivery.Type, delivery.Attempt,
            succeeded ? DeliveryStatus.Succeeded : DeliveryStatus.Failed, responseCode, now));
        if (succeeded) return null;

        var firstAttemptAt = delivery.FirstAttemptAt ?? now;
        if (settings.NextDelay(delivery.Attempt, now - firstAttemptAt) is not { } wait)
        {
            logger.LogWarning("Webhook delivery {EventId} to {Url} given up after {Attempts} attempts", delivery.EventId, Logged(endpoint.Url), delivery.Attempt);
            return null;
        }

        return new DeliveryMessage<DeliverWebhook>(
            delivery with { Attempt = delivery.Attempt + 1, FirstAttemptAt = firstAttemptAt },
            new DeliveryOptions { ScheduleDelay = wait, TenantId = delivery.AccountId.ToString() });
    }

    /// <summary>A URL as logged: without its query, where receivers often put tokens.</summary>
    private static string Logged(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) ? uri.GetLeftPart(UriPartial.Path) : "(unreadable URL)";
}
