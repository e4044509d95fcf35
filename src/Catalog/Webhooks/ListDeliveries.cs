using Catalog.Http;
using Catalog.Accounts;
using Catalog.Conventions;

namespace Catalog.Webhooks;

[SchemaName("WebhookDelivery")]
public record DeliveryAttempt(Guid Id, Guid EventId, string Type, int Attempt, string Status, int? ResponseCode, DateTimeOffset AttemptedAt)
{
    public static DeliveryAttempt From(WebhookDelivery d) => new(d.Id, d.EventId, d.Type, d.Attempt, d.Status, d.ResponseCode, d.AttemptedAt);
}

[Tags("Webhooks")]
public static class ListDeliveriesEndpoint
{
    /// <summary>Every attempt to deliver to the endpoint, newest first.</summary>
    [WolverineGet("/api/v1/webhook-endpoints/{id}/deliveries", OperationId = "listWebhookDeliveries", Summary = "List delivery attempts, newest first")]
    [Authorize(Scopes.WebhooksWrite)]
    public static Task<Page<DeliveryAttempt>> Get([Document("id")] WebhookEndpoint endpoint, [AsParameters] PageRequest page,
        IQuerySession session, CancellationToken token) =>
        session.Query<WebhookDelivery>().Where(x => x.EndpointId == endpoint.Id).NewestFirst(page, x => x.Id, DeliveryAttempt.From, token);
}
