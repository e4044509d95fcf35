using Catalog.Conventions;
using Catalog.Http;

namespace Catalog.Hosting;

/// <summary>
/// A sweep records what time has ended and no request has recorded yet (a machine that missed its heartbeat, a lease
/// past its expiry): every <c>Sweeps:Every</c> (default 15 s), through every database. Correctness never waits for
/// it: decisions compute such ends from time. Every node sweeps, and each record is decided under its license stream's
/// lock, so it is made exactly once however many nodes look, and no node's death delays it. What is due is found in the
/// rows of one document type, by their license (<c>license_id</c>) and their <c>ExpiresAt</c>: a scan, since such rows
/// are few (live leases) or rewritten too often to index their expiry (heartbeat rows).
/// </summary>
public abstract class Sweep(IDocumentStore store, Type rows, TimeProvider time, IConfiguration configuration, ILogger logger) : BackgroundService
{
    public const string EverySetting = "Sweeps:Every";

    /// <summary>The most (account, license) pairs one query of what is due returns; a full batch is followed by another.</summary>
    public const int Batch = 1000;

    /// <summary>At most this many batches a sweep per database: what a failing record leaves due is not looked at forever.</summary>
    private const int MostBatches = 50;
    public static readonly TimeSpan DefaultEvery = TimeSpan.FromSeconds(15);

    /// <summary>What the sweep looks for, for logs.</summary>
    protected abstract string What { get; }

    /// <summary>The (account, license) pairs with a row past its expiry ($1), in one database.</summary>
    private readonly string _due = $"""
        select distinct tenant_id, license_id from {store.Options.FindOrResolveDocumentType(rows).TableName.QualifiedName}
        where CAST(data ->> 'ExpiresAt' as timestamptz) <= $1 limit {Batch}
        """;

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

    /// <summary>What is due in the database at this instant, on its own connection.</summary>
    private async Task<IReadOnlyList<(string Account, Guid License)>> Due(Marten.Storage.IMartenDatabase database, DateTimeOffset now,
        CancellationToken token)
    {
        await using var connection = database.CreateConnection();
        await connection.OpenAsync(token);
        await using var command = new NpgsqlCommand(_due, connection) { Parameters = { new() { Value = now } } };
        await using var reader = await command.ExecuteReaderAsync(token);
        var pairs = new List<(string, Guid)>();
        while (await reader.ReadAsync(token)) pairs.Add((reader.GetString(0), reader.GetGuid(1)));
        return pairs;
    }
}
