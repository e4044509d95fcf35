using Catalog.Secrets;
using System.Text;
using Catalog.Conventions;
using Catalog.Hosting;
using Marten.Patching;
using Wolverine;
using Wolverine.Marten.Publishing;
using Wolverine.Runtime;

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

/// <summary>What an attempt's outcome means for its endpoint: a pure decision, the handler writes it.</summary>
public enum EndpointHealth
{
    Unchanged,
    Recovered,
    StartedFailing,
    Dead
}

public static class EndpointHealthRules
{
    /// <summary>
    /// A success after failures recovers the endpoint; a first failure starts the clock; a failure when every
    /// attempt since <paramref name="disableAfter"/> ago has failed makes it dead (to be disabled).
    /// </summary>
    public static EndpointHealth After(WebhookEndpoint endpoint, bool succeeded, DateTimeOffset now, TimeSpan disableAfter) =>
        (succeeded, endpoint.FailingSince) switch
        {
            (true, null) => EndpointHealth.Unchanged,
            (true, _) => EndpointHealth.Recovered,
            (false, null) => EndpointHealth.StartedFailing,
            (false, { } since) when now - since >= disableAfter => EndpointHealth.Dead,
            _ => EndpointHealth.Unchanged
        };
}

public static class DeliverWebhookHandler
{
    /// <summary>
    /// A delivery of an account deleted since it was queued ends before a session is opened for it (see
    /// <see cref="Shards.IsGone"/>). Otherwise what Wolverine's transactional middleware would write, by hand because
    /// that middleware opens the session first: the attempt, its next attempt enlisted in the session's outbox, one
    /// commit.
    /// </summary>
    public static async Task Handle(
        DeliverWebhook delivery,
        MessageContext context,
        OutboxedSessionFactory sessions,
        IDocumentStore store,
        IHttpClientFactory clients,
        WebhookSettings settings,
        SecretBox secrets,
        TimeProvider time,
        ILogger<WebhookFeed> logger,
        CancellationToken token)
    {
        if (await Shards.IsGone(store, delivery.AccountId, token)) return;
        await using var session = sessions.OpenSession(context);
        if (await Attempt(delivery, session, clients, settings, secrets, time, logger, token) is { } next)
            await context.EnqueueCascadingAsync(next);
        await session.SaveChangesAsync(token);
        await context.FlushOutgoingMessagesAsync();
    }

    /// <summary>
    /// Makes one attempt and records it. On failure it returns the next attempt, scheduled on the retry schedule
    /// into the endpoint's own queue; Wolverine stores that scheduled message in PostgreSQL in the same transaction
    /// as the record of this attempt (and marks this message handled), so no delivery is lost to a restart. A
    /// deleted or disabled endpoint ends its deliveries; one that has only failed for
    /// <see cref="WebhookSettings.DisableAfter"/> is disabled.
    /// </summary>
    public static async Task<object?> Attempt(
        DeliverWebhook delivery,
        IDocumentSession session,
        IHttpClientFactory clients,
        WebhookSettings settings,
        SecretBox secrets,
        TimeProvider time,
        ILogger<WebhookFeed> logger,
        CancellationToken token)
    {
        var endpoint = await session.LoadAsync<WebhookEndpoint>(delivery.EndpointId, token);
        if (endpoint is null || endpoint.Status == WebhookStatus.Disabled) return null;

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
                WebhookSignature.Sign(endpoint.SigningSecret(secrets), time.GetUtcNow().ToUnixTimeSeconds(), body));
            request.Headers.TryAddWithoutValidation("Catalog-Event-Id", delivery.EventId.ToString());
            request.Headers.UserAgent.ParseAdd("Catalog-Webhooks/1.0");

            // The status is the answer: the receiver's body is never read, so a huge one costs nothing.
            using var response = await clients.CreateClient(WebhooksConfiguration.HttpClientName)
                .SendAsync(request, HttpCompletionOption.ResponseHeadersRead, token);
            responseCode = (int)response.StatusCode;
        }
        // An endpoint stored before its URL's host was checked for IDNA (UriFormatException) is a failed attempt too.
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or UriFormatException && !token.IsCancellationRequested)
        {
            logger.LogInformation("Webhook delivery {EventId} to {Url} failed: {Reason}", delivery.EventId, Logged(endpoint.Url), e.Message);
        }

        var succeeded = responseCode is >= 200 and < 300;
        session.Store(new WebhookDelivery(Guid.CreateVersion7(), endpoint.Id, delivery.EventId, delivery.Type, delivery.Attempt,
            succeeded ? DeliveryStatus.Succeeded : DeliveryStatus.Failed, responseCode, now));

        switch (EndpointHealthRules.After(endpoint, succeeded, now, settings.DisableAfter))
        {
            case EndpointHealth.Recovered:
                session.Patch<WebhookEndpoint>(x => x.Id == endpoint.Id && x.FailingSince != null).Set(x => x.FailingSince, null);
                break;
            case EndpointHealth.StartedFailing:
                session.Patch<WebhookEndpoint>(x => x.Id == endpoint.Id && x.FailingSince == null).Set(x => x.FailingSince, now);
                break;
            case EndpointHealth.Dead:
                // Only an endpoint still failing: a success or a re-enable meanwhile (either clears the clock) keeps it on.
                session.Patch<WebhookEndpoint>(x => x.Id == endpoint.Id && x.FailingSince != null)
                    .Set(x => x.Status, WebhookStatus.Disabled);
                logger.LogWarning("Webhook endpoint {EndpointId} ({Url}) disabled after only failures since {Since}",
                    endpoint.Id, Logged(endpoint.Url), endpoint.FailingSince);
                return null;
        }
        if (succeeded) return null;

        var firstAttemptAt = delivery.FirstAttemptAt ?? now;
        if (settings.NextDelay(delivery.Attempt, now - firstAttemptAt) is not { } wait)
        {
            logger.LogWarning("Webhook delivery {EventId} to {Url} given up after {Attempts} attempts", delivery.EventId, Logged(endpoint.Url), delivery.Attempt);
            return null;
        }

        return (delivery with { Attempt = delivery.Attempt + 1, FirstAttemptAt = firstAttemptAt })
            .ToDestination(WebhooksConfiguration.QueueOf(endpoint.Id),
                new DeliveryOptions { ScheduleDelay = wait, TenantId = delivery.AccountId.ToString() });
    }

    /// <summary>A URL as logged: without its query, where receivers often put tokens.</summary>
    private static string Logged(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) ? uri.GetLeftPart(UriPartial.Path) : "(unreadable URL)";
}
