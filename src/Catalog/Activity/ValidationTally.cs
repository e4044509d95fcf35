using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Catalog.Conventions;
using Catalog.Hosting;
using Weasel.Core;
using Weasel.Core.Migrations;
using Weasel.Postgresql;
using Weasel.Postgresql.Tables;

namespace Catalog.Activity;

/// <summary>
/// Validations counted in memory, per account, product and UTC day: validation stays one read of PostgreSQL, and
/// counting costs it one atomic increment. <see cref="ValidationCounts"/> adds the counts to the account's database
/// every <c>Activity:RecordEvery</c>. A node that dies loses at most that interval's counts: a chart's, never a decision's.
/// </summary>
public sealed class ValidationTally(TimeProvider time)
{
    private readonly ConcurrentDictionary<(string Account, Guid Product, DateOnly Day), StrongBox<long>> _counts = new();

    /// <summary>One validation of the account's product, answered at <paramref name="at"/>.</summary>
    public void Count(string account, Guid product, DateTimeOffset at)
    {
        var box = _counts.GetOrAdd((account, product, ProductActivations.DayOf(at)), static _ => new StrongBox<long>());
        Interlocked.Increment(ref box.Value);
    }

    /// <summary>What was counted since the last take, by account; the counters start again from zero.</summary>
    public Dictionary<string, List<(Guid Product, DateOnly Day, long Count)>> Take()
    {
        var taken = new Dictionary<string, List<(Guid, DateOnly, long)>>();
        var today = ProductActivations.DayOf(time.GetUtcNow());
        foreach (var (key, box) in _counts)
        {
            var count = Interlocked.Exchange(ref box.Value, 0);
            // A past day's counter is done with: removed (this very box only), then emptied again, since a count or a
            // put-back may have reached it between the exchange and the removal; later ones go to a new counter.
            if (key.Day < today && _counts.TryRemove(KeyValuePair.Create(key, box))) count += Interlocked.Exchange(ref box.Value, 0);
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
/// Adds the tally to <c>validation_counts</c> (one row per account, product and day, in the account's database), every
/// <c>Activity:RecordEvery</c> (default 1 minute) and when the node stops; one pass at a time. An upsert that adds, so
/// that any number of nodes record into the same rows without reading them.
/// </summary>
public sealed class ValidationCounts(ValidationTally tally, IDocumentStore store, IConfiguration configuration, ILogger<ValidationCounts> logger)
    : BackgroundService
{
    public const string EverySetting = "Activity:RecordEvery";
    public static readonly TimeSpan DefaultEvery = TimeSpan.FromMinutes(1);
    public const string Table = "validation_counts";

    private readonly SemaphoreSlim _onePass = new(1, 1);

    private readonly string _add = $"""
        insert into {store.Options.DatabaseSchemaName}.{Table} (tenant_id, product_id, day, validations) values (?, ?, ?, ?)
        on conflict (tenant_id, product_id, day) do update set validations = {Table}.validations + excluded.validations
        """;

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
        try
        {
            await RecordAsync(cancellationToken);
        }
        catch (OperationCanceledException) { } // the host's patience ran out: the counts since the last pass are lost
    }

    public async Task RecordAsync(CancellationToken token)
    {
        await _onePass.WaitAsync(token);
        try
        {
            foreach (var (account, counts) in tally.Take())
            {
                try
                {
                    // An account removed since (Shards.IsGone says why it is asked first): its counts have nowhere to go.
                    if (await Shards.IsGone(store, Guid.Parse(account), token)) continue;
                    await using var session = store.LightweightSession(account);
                    foreach (var (product, day, count) in counts) session.QueueSqlCommand(_add, account, product, day, count);
                    await session.SaveChangesAsync(token);
                }
                catch (Exception e) when (!token.IsCancellationRequested)
                {
                    tally.PutBack(account, counts);
                    logger.LogWarning(e, "Validation counts of account {AccountId} not recorded yet: kept for the next pass", account);
                }
            }
        }
        finally
        {
            _onePass.Release();
        }
    }
}

/// <summary>The <c>validation_counts</c> table, in every database that holds accounts; created by db-apply.</summary>
internal sealed class ValidationCountsTable(StoreOptions options) : FeatureSchemaBase("validation-counts", options.Advanced.Migrator)
{
    protected override IEnumerable<ISchemaObject> schemaObjects()
    {
        var table = new Table(new PostgresqlObjectName(options.DatabaseSchemaName, ValidationCounts.Table, SchemaUtils.IdentifierUsage.General));
        table.AddColumn<string>("tenant_id").AsPrimaryKey();
        table.AddColumn<Guid>("product_id").AsPrimaryKey();
        table.AddColumn("day", "date").AsPrimaryKey();
        table.AddColumn<long>("validations").NotNull();
        yield return table;
    }
}
