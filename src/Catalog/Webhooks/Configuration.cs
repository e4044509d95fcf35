using Wolverine;
using Wolverine.Configuration;
using Wolverine.Transports.Local;

namespace Catalog.Webhooks;

/// <summary>
/// Webhooks: endpoint and delivery documents, the feed from the event store (a subscription the async daemon
/// runs, registered in Program.cs), the HTTP client that delivers, and the durable local queues deliveries wait in:
/// one per webhook endpoint, so that one account's slow or dead receivers never delay another's deliveries.
/// </summary>
public static class WebhooksConfiguration
{
    public const string HttpClientName = "webhooks";

    /// <summary>One endpoint per slot per account: the cap holds in the database, whatever races.</summary>
    public const string SlotIndex = "mt_doc_webhookendpoint_uidx_slot";

    /// <summary>One endpoint per <c>Idempotency-Key</c> of a credential: a repeat racing the first is answered the first.</summary>
    public const string CreatedWithKeyIndex = "mt_doc_webhookendpoint_uidx_created_with_key";

    public static StoreOptions ConfigureWebhooks(this StoreOptions options)
    {
        options.Schema.For<WebhookEndpoint>().MultiTenanted()
            .UniqueIndex(Marten.Schema.UniqueIndexType.Computed, SlotIndex, Marten.Schema.Indexing.Unique.TenancyScope.PerTenant, x => x.Slot)
            .UniqueIndex(Marten.Schema.UniqueIndexType.Computed, CreatedWithKeyIndex, Marten.Schema.Indexing.Unique.TenancyScope.PerTenant,
                x => x.CreatedWithKey!);
        options.Schema.For<WebhookDelivery>().MultiTenanted()
            // An endpoint's deliveries newest first, one index range however many other endpoints have.
            .Index([x => x.EndpointId, x => x.Id], index => index.Name = "mt_doc_webhookdelivery_idx_endpoint_id_id")
            .Index(x => x.AttemptedAt); // purged by age
        return options;
    }

    private const string QueuePrefix = "webhook-";

    /// <summary>
    /// The durable local queue of one webhook endpoint's deliveries, made by Wolverine on first use. Each works at
    /// most <see cref="WebhookSettings.MaxInFlightPerEndpoint"/> deliveries at once: a receiver that never answers
    /// holds its own queue's slots for the timeout, and nobody else's.
    /// </summary>
    public static Uri QueueOf(Guid endpointId) => new($"local://{QueuePrefix}{endpointId:N}");

    public static WolverineOptions ConfigureWebhooks(this WolverineOptions options, IConfiguration configuration)
    {
        var settings = Settings(configuration);
        var recoverable = new RecoverableWhenItsNodeDies(options.Durability);
        options.Policies.Add(new LambdaEndpointPolicy<LocalQueue>((queue, _) =>
        {
            if (!queue.EndpointName.StartsWith(QueuePrefix)) return;
            queue.MaxDegreeOfParallelism = settings.MaxInFlightPerEndpoint;
            queue.OutgoingRules.Add(recoverable);
        }));
        return options;
    }

    /// <summary>
    /// A delivery the feed queues (<c>EndpointFor(queue).SendAsync</c> in the subscription's Marten outbox) is stored
    /// with the status Wolverine gives a message routed to another endpoint, "Outgoing", and no owner; but Wolverine
    /// recovers only "Incoming" rows of a node that died, so the deliveries a killed node still held would never be
    /// sent (Reliability/ClusterProof.cs found 545 of them). Stored as "Incoming" and owned by the node that queued
    /// them, as Wolverine stores what its listeners receive, they are released when the leader finds that node dead,
    /// and the node running the database's durability agent delivers them. A scheduled retry is unaffected: its
    /// delay is applied after this rule and makes it "Scheduled", which the scheduled-job poller runs whatever its owner.
    /// A node ejected while alive (no heartbeat for 15 s) may then see its deliveries sent twice, under one event id.
    /// </summary>
    private sealed class RecoverableWhenItsNodeDies(DurabilitySettings durability) : IEnvelopeRule
    {
        public void Modify(Envelope envelope)
        {
            envelope.Status = EnvelopeStatus.Incoming;
            envelope.OwnerId = durability.AssignedNodeNumber;
        }
    }

    private static WebhookSettings Settings(IConfiguration configuration) =>
        configuration.GetSection("Webhooks").Get<WebhookSettings>() ?? new WebhookSettings();

    public static IServiceCollection AddWebhooks(this IServiceCollection services, IConfiguration configuration)
    {
        var settings = Settings(configuration);
        settings.Schedule(); // a bad schedule fails at start, not at the first failed delivery
        var proxy = settings.ProxyUri(); // and so does a malformed proxy
        services.AddSingleton(settings);
        services.AddSingularAgent<DeliveryRecordsPurge>(); // one node of the cluster purges (Wolverine's agents)
        services.AddHostedService<RacedFeedRelease>(); // a feed two nodes raced on is assigned again, not left stopped
        services.AddSingleton<Marten.Schema.IInitialData, SealClearSecrets>();
        services.AddSingleton(ResealWebhookSecrets.Secrets); // master key rotation
        services.AddHttpClient(HttpClientName, client =>
            {
                client.Timeout = settings.Timeout;
                client.MaxResponseContentBufferSize = 64 * 1024; // and were it ever buffered, never more than 64 KiB
            })
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                AllowAutoRedirect = false, // a redirect is an answer, not a success
                UseCookies = false,
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
                ConnectTimeout = settings.ConnectTimeout,
                // Never the environment's proxy (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY): the egress guard would check
                // the proxy's address instead of the target's. The operator's own Webhooks:Proxy is reached by a tunnel
                // to the checked address (EgressGuard.ProxyTunnel), not as an HTTP proxy that resolves names itself.
                UseProxy = false,
                // Every connection goes to an address the egress guard checked, unless private networks are allowed.
                ConnectCallback = proxy is not null ? new EgressGuard.ProxyTunnel(proxy, settings.AllowPrivateNetworks).ConnectAsync
                    : settings.AllowPrivateNetworks ? null
                    : EgressGuard.ConnectAsync
            });
        return services;
    }
}
