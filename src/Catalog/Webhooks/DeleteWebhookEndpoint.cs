using Catalog.Accounts;

namespace Catalog.Webhooks;

[Tags("Webhooks")]
public static class DeleteWebhookEndpointEndpoint
{
    /// <summary>Removes the endpoint (404 when the account has none such); deliveries still queued for it are dropped.</summary>
    [WolverineDelete("/api/v1/webhook-endpoints/{id}", OperationId = "deleteWebhookEndpoint", Summary = "Remove a webhook endpoint")]
    [Authorize(Scopes.WebhooksWrite)]
    [EmptyResponse]
    public static IMartenOp Delete([Document("id")] WebhookEndpoint endpoint) => MartenOps.Delete(endpoint);
}
