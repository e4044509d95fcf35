using System.ComponentModel;
using Catalog.Accounts;
using Catalog.Conventions;

namespace Catalog.Webhooks;

public record UpdateWebhookEndpoint(
    [property: AllowedValues(WebhookStatus.Enabled, WebhookStatus.Disabled),
               Description("'enabled' turns a disabled endpoint back on (its failure clock starts afresh); 'disabled' pauses it.")]
    Optional<string> Status);

[Tags("Webhooks")]
public static class UpdateWebhookEndpointEndpoint
{
    public static ProblemDetails Validate(UpdateWebhookEndpoint command) =>
        !command.Status.IsPresent || command.Status.Value is WebhookStatus.Enabled or WebhookStatus.Disabled
            ? WolverineContinue.NoProblems
            : Problems.Validation("status", $"must be '{WebhookStatus.Enabled}' or '{WebhookStatus.Disabled}'");

    /// <summary>
    /// Enables or disables the endpoint. A disabled endpoint is sent nothing: events while it is disabled are not
    /// delivered later, and deliveries waiting for a retry are dropped (the event log has them all).
    /// </summary>
    [WolverinePatch("/api/v1/webhook-endpoints/{id}", OperationId = "updateWebhookEndpoint", Summary = "Enable or disable a webhook endpoint")]
    [Authorize(Scopes.WebhooksWrite)]
    public static (Resource<WebhookEndpointSummary>, IMartenOp) Patch(UpdateWebhookEndpoint command, [Document("id")] WebhookEndpoint endpoint)
    {
        var updated = command.Status.IsPresent && command.Status.Value != endpoint.Status
            ? endpoint with { Status = command.Status.Value!, FailingSince = null }
            : endpoint;
        return (new Resource<WebhookEndpointSummary>(WebhookEndpointSummary.From(updated)),
            ReferenceEquals(updated, endpoint) ? MartenOps.Nothing() : MartenOps.Store(updated));
    }
}
