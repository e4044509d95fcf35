using Catalog.Hosting;
using Marten;
using Marten.Schema;

namespace Catalog.Webhooks;

/// <summary>
/// Webhook endpoints made before secrets were sealed hold theirs in clear: at start, each is sealed in place
/// (deliveries sign with the same secret either way). Idempotent, so nodes starting together do no harm.
/// </summary>
public sealed class SealClearSecrets(SecretBox secrets) : IInitialData
{
    public async Task Populate(IDocumentStore store, CancellationToken cancellation)
    {
        await using var query = store.QuerySession();
        var clear = await query.Query<WebhookEndpoint>()
            .Where(x => x.AnyTenant() && x.Secret.StartsWith(WebhookSignature.SecretPrefix))
            .ToListAsync(cancellation);
        foreach (var endpoint in clear)
        {
            await using var session = store.LightweightSession(endpoint.AccountId.ToString());
            session.Store(endpoint with { Secret = secrets.Seal(endpoint.Secret, WebhookEndpoint.SealedFor(endpoint.Id)) });
            await session.SaveChangesAsync(cancellation);
        }
    }
}
