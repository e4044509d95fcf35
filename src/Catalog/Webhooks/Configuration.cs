using Marten;

namespace Catalog.Webhooks;

/// <summary>
/// Webhooks: endpoint and delivery documents, the feed from the event store (a subscription the async daemon
/// runs, registered in Program.cs), the HTTP client that delivers, and the durable local queue deliveries wait in.
/// </summary>
public static class WebhooksConfiguration
{
    public const string HttpClientName = "webhooks";

    /// <summary>One endpoint per slot per account: the cap holds in the database, whatever races.</summary>
    public const string SlotIndex = "mt_doc_webhookendpoint_uidx_slot";

    public static StoreOptions ConfigureWebhooks(this StoreOptions options)
    {
        options.Schema.For<WebhookEndpoint>().MultiTenanted()
            .UniqueIndex(Marten.Schema.UniqueIndexType.Computed, SlotIndex, Marten.Schema.Indexing.Unique.TenancyScope.PerTenant, x => x.Slot);
        options.Schema.For<WebhookDelivery>().MultiTenanted().Index(x => x.EndpointId);
        return options;
    }

    public static IServiceCollection AddWebhooks(this IServiceCollection services, IConfiguration configuration)
    {
        var settings = configuration.GetSection("Webhooks").Get<WebhookSettings>() ?? new WebhookSettings();
        settings.Schedule(); // a bad schedule fails at start, not at the first failed delivery
        services.AddSingleton(settings);
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
                // Every connection goes to an address the egress guard checked, unless private networks are allowed.
                ConnectCallback = settings.AllowPrivateNetworks ? null : EgressGuard.ConnectAsync
            });
        return services;
    }
}
