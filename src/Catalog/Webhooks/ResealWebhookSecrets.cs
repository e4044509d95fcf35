using Catalog.Secrets;
using Catalog.Hosting;

namespace Catalog.Webhooks;

/// <summary>
/// Master key rotation (<c>secrets reseal</c>): each endpoint's secret not yet sealed under the current master key is
/// sealed again under it, in every database (with shards, each holds its accounts' endpoints). Deliveries sign with
/// the same secret either way. A secret still in clear is <see cref="SealClearSecrets"/>' to seal, at start.
/// </summary>
public sealed class ResealWebhookSecrets : ISealedValues
{
    public string Name => "webhookSecrets";

    public Task<int> Reseal(IServiceProvider services, SecretBox secrets, CancellationToken token) =>
        Run(services.GetRequiredService<IDocumentStore>(), secrets, token);

    private const string Table = $"{Database.Schema}.mt_doc_webhookendpoint";

    public static async Task<int> Run(IDocumentStore store, SecretBox secrets, CancellationToken token = default)
    {
        var resealed = 0;
        foreach (var database in await store.Storage.AllDatabases())
        {
            await using var query = store.QuerySession(Marten.Services.SessionOptions.ForDatabase(database));
            var stale = await query.Query<WebhookEndpoint>()
                .Where(x => x.AnyTenant() && !x.Secret.StartsWith(secrets.CurrentPrefix) && !x.Secret.StartsWith(WebhookSignature.SecretPrefix))
                .ToListAsync(token);
            foreach (var endpoint in stale)
                if (await SealedValues.Replace(database, Table, endpoint.Id, nameof(WebhookEndpoint.Secret), endpoint.Secret,
                        secrets.Reseal(endpoint.Secret, WebhookEndpoint.SealedFor(endpoint.Id)), token))
                    resealed++;
        }
        return resealed;
    }
}
