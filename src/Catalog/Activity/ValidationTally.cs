using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Catalog.Conventions;
using Catalog.Hosting;

namespace Catalog.Activity;

/// <summary>
/// Validations counted in memory, per account, product and UTC day: validation stays one read of PostgreSQL, and
/// counting costs it one atomic increment. <see cref="ValidationCounts"/> records the counts every
/// <c>Activity:RecordEvery</c>. A node that dies loses at most that interval's counts: a chart's, never a decision's.
/// </summary>
public sealed class ValidationTally(TimeProvider time)
{
    private readonly ConcurrentDictionary<(string Account, Guid Product, DateOnly Day), StrongBox<long>> _counts = new();

    public void Count(string account, Guid product)
    {
        var box = _counts.GetOrAdd((account, product, ProductActivity.DayOf(time.GetUtcNow())), static _ => new StrongBox<long>());
        Interlocked.Increment(ref box.Value);
    }

    /// <summary>What was counted since the last take, by account; the counters start again from zero.</summary>
    public Dictionary<string, List<(Guid Product, DateOnly Day, long Count)>> Take()
    {
        var taken = new Dictionary<string, List<(Guid, DateOnly, long)>>();
        var today = ProductActivity.DayOf(time.GetUtcNow());
        foreach (var (key, box) in _counts)
        {
            var count = Interlocked.Exchange(ref box.Value, 0);
            // A past day's counter is done with once empty (a count racing this removal lands in a new one).
            if (count == 0 && key.Day < today) _counts.TryRemove(key, out _);
            if (count == 0) continue;
            if (!taken.TryGetValue(key.Account, out var list)) taken[key.Account] = list = [];
            list.Add((key.Product, key.Day, count));
        }
        return taken;
    }

    /// <summary>Counts that could not be recorded go back, to be recorded with the next ones.</summary>
    public void PutBack(string account, IEnumerable<(Guid Product, DateOnly Day, long Count)> counts)
    {
        foreach (var (product, day, count) in counts)
            Interlocked.Add(ref _counts.GetOrAdd((account, product, day), static _ => new StrongBox<long>()).Value, count);
    }
}

/// <summary>
/// Records the tally as <see cref="ValidationsCounted"/> events, one per product and day with validations, in each
/// account's session, every <c>Activity:RecordEvery</c> (default 1 minute) and when the node stops.
/// </summary>
public sealed class ValidationCounts(ValidationTally tally, IDocumentStore store, TimeProvider time, IConfiguration configuration,
    ILogger<ValidationCounts> logger) : BackgroundService
{
    public const string EverySetting = "Activity:RecordEvery";
    public static readonly TimeSpan DefaultEvery = TimeSpan.FromMinutes(1);

    protected override async Task ExecuteAsync(CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(configuration.GetValue(EverySetting, DefaultEvery));
        try
        {
            while (await timer.WaitForNextTickAsync(stopping)) await RecordAsync(stopping);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested) { }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await RecordAsync(cancellationToken);
    }

    public async Task RecordAsync(CancellationToken token)
    {
        foreach (var (account, counts) in tally.Take())
        {
            try
            {
                // An account removed since (Shards.IsPlaced says why it is asked first): its counts have nowhere to go.
                if (!await Shards.IsPlaced(store, Guid.Parse(account), token)) continue;
                await using var session = store.LightweightSession(account);
                var now = time.UtcNow();
                foreach (var (product, day, count) in counts)
                    session.Events.Append(ProductActivity.StreamOf(product, day), new ValidationsCounted(product, day, count, now));
                await session.SaveChangesAsync(token);
            }
            catch (Exception e)
            {
                tally.PutBack(account, counts);
                logger.LogWarning(e, "Validation counts of account {AccountId} not recorded yet: kept for the next try", account);
            }
        }
    }
}
