using Marten;

namespace Catalog.Webhooks;

/// <summary>
/// Deletes delivery records older than <see cref="WebhookSettings.KeepDeliveriesFor"/>, every account's, once an
/// hour on every node (a delete of what another node already deleted costs nothing).
/// </summary>
public sealed class DeliveryRecordsPurge(IDocumentStore store, WebhookSettings settings, TimeProvider time, ILogger<DeliveryRecordsPurge> logger)
    : BackgroundService
{
    public static readonly TimeSpan Every = TimeSpan.FromHours(1);

    public async Task PurgeAsync(CancellationToken token)
    {
        var cutoff = time.GetUtcNow() - settings.KeepDeliveriesFor;
        await using var session = store.LightweightSession();
        session.DeleteWhere<WebhookDelivery>(x => x.AnyTenant() && x.AttemptedAt < cutoff);
        await session.SaveChangesAsync(token);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield(); // never hold up the host's start
        using var timer = new PeriodicTimer(Every, time);
        do
        {
            try
            {
                await PurgeAsync(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(e, "Purging old webhook delivery records failed; trying again in {Every}", Every);
            }
        } while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
