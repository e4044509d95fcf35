using Catalog.Secrets;
using Marten.Patching;
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
        // Every database's: with shards, each holds its accounts' endpoints.
        var clear = new List<WebhookEndpoint>();
        foreach (var database in await store.Storage.AllDatabases())
        {
            await using var query = store.QuerySession(Marten.Services.SessionOptions.ForDatabase(database));
            clear.AddRange(await query.Query<WebhookEndpoint>()
                .Where(x => x.AnyTenant() && x.Secret.StartsWith(WebhookSignature.SecretPrefix))
                .ToListAsync(cancellation));
        }
        foreach (var endpoint in clear)
        {
            // Only the secret, and only while it is still the clear one: a change made meanwhile (a PATCH of the
            // status, another node sealing it first) is never overwritten.
            await using var session = store.LightweightSession(endpoint.AccountId.ToString());
            session.Patch<WebhookEndpoint>(x => x.Id == endpoint.Id && x.Secret == endpoint.Secret)
                .Set(x => x.Secret, secrets.Seal(endpoint.Secret, WebhookEndpoint.SealedFor(endpoint.Id)));
            await session.SaveChangesAsync(cancellation);
        }
    }
}
