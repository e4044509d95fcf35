using Catalog.Secrets;

namespace Catalog.Webhooks;

/// <summary>
/// Master key rotation (<c>secrets reseal</c>): each endpoint's secret not yet sealed under the current master key is
/// sealed again under it, in every database (with shards, each holds its accounts' endpoints). Deliveries sign with
/// the same secret either way. A secret still in clear is <see cref="SealClearSecrets"/>' to seal, at start.
/// </summary>
public static class ResealWebhookSecrets
{
    public static readonly ISealedValues Secrets = new SealedField<WebhookEndpoint, IDocumentStore>(
        "webhookSecrets", nameof(WebhookEndpoint.Secret),
        (endpoints, current) => endpoints.Where(x => x.AnyTenant() && !x.Secret.StartsWith(current) && !x.Secret.StartsWith(WebhookSignature.SecretPrefix)),
        x => x.Id, x => x.Secret, x => WebhookEndpoint.SealedFor(x.Id));
}
