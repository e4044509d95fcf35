using Catalog.EventLog;
using JasperFx.Events.Daemon;
using JasperFx.Events.Projections;
using Wolverine;
using Wolverine.Marten.Subscriptions;

namespace Catalog.Webhooks;

/// <summary>
/// The feed from the event store into webhooks: a Marten subscription run by the async daemon, in order of the
/// global sequence and resumable from the last sequence it finished. For each event it queues one durable
/// delivery per enabled endpoint of the event's account that wants its type, into that endpoint's own queue
/// (<see cref="WebhooksConfiguration.QueueOf"/>). The queued deliveries are stored in
/// Wolverine's PostgreSQL outbox in the same transaction that records the subscription's progress, so an event
/// is queued exactly once even across restarts.
/// </summary>
public sealed class WebhookFeed : BatchSubscription
{
    public const string Name = "webhooks";

    public WebhookFeed() : base(Name)
    {
        foreach (var type in PublicEvents.Types) IncludeType(type);
    }

    public override async Task ProcessEventsAsync(EventRange page, ISubscriptionController controller,
        IDocumentOperations operations, IMessageBus bus, CancellationToken cancellationToken)
    {
        var accounts = page.Events.Select(x => x.TenantId).Distinct().ToArray();
        var endpoints = (await operations.Query<WebhookEndpoint>()
                .Where(x => x.TenantIsOneOf(accounts))
                .ToListAsync(cancellationToken))
            .ToLookup(x => x.AccountId.ToString());

        foreach (var e in page.Events)
        {
            var type = PublicEvents.NameOf(e.EventType);
            if (type is null) continue;

            foreach (var endpoint in endpoints[e.TenantId].Where(x => x.Status == WebhookStatus.Enabled && x.Events.Contains(type)))
            {
                var delivery = new DeliverWebhook(endpoint.AccountId, endpoint.Id, e.Id, type, e.Timestamp,
                    PublicEvents.Payload(e.Data).GetRawText(), Attempt: 1, FirstAttemptAt: null);
                await bus.EndpointFor(WebhooksConfiguration.QueueOf(endpoint.Id))
                    .SendAsync(delivery, new DeliveryOptions { TenantId = e.TenantId });
            }
        }
    }
}
