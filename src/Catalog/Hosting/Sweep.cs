using Catalog.Conventions;
using Catalog.Http;

namespace Catalog.Hosting;

/// <summary>
/// A sweep records what time has ended and no request has recorded yet (a machine that missed its heartbeat, a lease
/// past its expiry): every <c>Sweeps:Every</c> (default 15 s), through every database. Correctness never waits for
/// it: decisions compute such ends from time. Every node sweeps, and each record is decided under its license stream's
/// lock, so it is made exactly once however many nodes look, and no node's death delays it.
/// </summary>
public abstract class Sweep(IDocumentStore store, TimeProvider time, IConfiguration configuration, ILogger logger) : BackgroundService
{
    public const string EverySetting = "Sweeps:Every";

    /// <summary>The most (account, license) pairs one query of <see cref="Due"/> returns; a full batch is followed by another.</summary>
    public const int Batch = 1000;

    /// <summary>At most this many batches a sweep per database: what a failing record leaves due is not looked at forever.</summary>
    private const int MostBatches = 50;
    public static readonly TimeSpan DefaultEvery = TimeSpan.FromSeconds(15);

    /// <summary>What the sweep looks for, for logs.</summary>
    protected abstract string What { get; }

    /// <summary>The (account, license) pairs with something ended to record, in one database, at this instant.</summary>
    protected abstract Task<IReadOnlyList<(string Account, Guid License)>> Due(Marten.Storage.IMartenDatabase database, DateTimeOffset now,
        CancellationToken token);

    /// <summary>Decides and records, in the account's session (committed after), what has ended on the license.</summary>
    protected abstract Task Record(IDocumentSession session, Guid license, DateTimeOffset now, CancellationToken token);

    protected override async Task ExecuteAsync(CancellationToken stopping)
    {
        var every = configuration.GetValue(EverySetting, DefaultEvery);
        try
        {
            // Nodes started together look at different instants.
            await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * every.TotalMilliseconds), stopping);
            using var timer = new PeriodicTimer(every);
            do await SweepAsync(stopping);
            while (await timer.WaitForNextTickAsync(stopping));
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested) { }
    }

    public async Task SweepAsync(CancellationToken token)
    {
        IReadOnlyList<Marten.Storage.IMartenDatabase> databases;
        try
        {
            databases = await store.Storage.AllDatabases();
        }
        catch (Exception e) when (!token.IsCancellationRequested)
        {
            Log(e, "the databases");
            return;
        }
        foreach (var database in databases)
        {
            try
            {
                for (var batch = 0; batch < MostBatches; batch++)
                {
                    var due = await Due(database, time.UtcNow(), token);
                    await RecordEach(due, token);
                    if (due.Count < Batch) break;
                }
            }
            catch (Exception e) when (!token.IsCancellationRequested)
            {
                Log(e, database.Id.ToString());
            }
        }
    }

    private async Task RecordEach(IReadOnlyList<(string Account, Guid License)> due, CancellationToken token)
    {
        foreach (var (account, license) in due)
        {
            try
            {
                await using var session = store.LightweightSession(account);
                await Record(session, license, time.UtcNow(), token);
                await session.SaveChangesAsync(token);
            }
            catch (Exception e) when (!token.IsCancellationRequested)
            {
                Log(e, $"license {license}");
            }
        }
    }

    private void Log(Exception e, string where)
    {
        // The database away, or a table not created yet (Development creates it on first use): the next sweep tries again.
        if (DatabaseExceptionHandler.IsDatabaseUnavailable(e) || e.Find<PostgresException>() is { SqlState: PostgresErrorCodes.UndefinedTable })
            logger.LogDebug(e, "Sweeping {What} of {Where} failed; trying again at the next sweep", What, where);
        else
            logger.LogWarning(e, "Sweeping {What} of {Where} failed; trying again at the next sweep", What, where);
    }

    /// <summary>Runs a query whose rows are (account, license id), on the database's own connection.</summary>
    protected static async Task<IReadOnlyList<(string Account, Guid License)>> Pairs(Marten.Storage.IMartenDatabase database, string sql,
        DateTimeOffset now, CancellationToken token)
    {
        await using var connection = database.CreateConnection();
        await connection.OpenAsync(token);
        await using var command = new NpgsqlCommand(sql, connection) { Parameters = { new() { Value = now } } };
        await using var reader = await command.ExecuteReaderAsync(token);
        var pairs = new List<(string, Guid)>();
        while (await reader.ReadAsync(token)) pairs.Add((reader.GetString(0), reader.GetGuid(1)));
        return pairs;
    }
}
