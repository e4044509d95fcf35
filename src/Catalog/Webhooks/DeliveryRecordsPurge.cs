using Wolverine.Runtime.Agents;

namespace Catalog.Webhooks;

/// <summary>
/// Deletes delivery records older than <see cref="WebhookSettings.KeepDeliveriesFor"/>, every account's, once an
/// hour. A Wolverine singular agent: one node of the cluster runs it, and another takes it over when that node dies.
/// </summary>
public sealed class DeliveryRecordsPurge(IDocumentStore store, WebhookSettings settings, TimeProvider time, ILogger<DeliveryRecordsPurge> logger)
    : SingularAgent("webhook-delivery-purge")
{
    public static readonly TimeSpan Every = TimeSpan.FromHours(1);

    private CancellationTokenSource _stopping = new();
    private Task _running = Task.CompletedTask;

    public async Task PurgeAsync(CancellationToken token)
    {
        var cutoff = time.GetUtcNow() - settings.KeepDeliveriesFor;
        // Every database's: with shards, each holds its accounts' deliveries.
        foreach (var database in await store.Storage.AllDatabases())
        {
            // One database failing is no reason to leave the others unpurged: it is tried again at the next hour.
            try
            {
                await using var session = store.LightweightSession(Marten.Services.SessionOptions.ForDatabase(database));
                session.DeleteWhere<WebhookDelivery>(x => x.AnyTenant() && x.AttemptedAt < cutoff);
                await session.SaveChangesAsync(token);
            }
            catch (Exception e) when (!token.IsCancellationRequested)
            {
                logger.LogWarning(e, "Purging old webhook delivery records of {Database} failed; trying again in {Every}", database.Id, Every);
            }
        }
    }

    protected override Task startAsync(CancellationToken cancellationToken)
    {
        _stopping = new CancellationTokenSource();
        _running = Task.Run(() => RunAsync(_stopping.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    protected override async Task stopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await _running;
        _stopping.Dispose();
    }

    private async Task RunAsync(CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(Every, time);
        try
        {
            do
            {
                try
                {
                    await PurgeAsync(stopping);
                }
                catch (Exception e) when (!stopping.IsCancellationRequested)
                {
                    logger.LogWarning(e, "Purging old webhook delivery records failed; trying again in {Every}", Every);
                }
            } while (await timer.WaitForNextTickAsync(stopping));
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested) { }
    }
}
