using JasperFx;
using JasperFx.Events.Daemon;
using Wolverine.Runtime;
using Wolverine.Runtime.Agents;

namespace Catalog.Webhooks;

/// <summary>
/// Wolverine leaves an event feed (a database's webhook feed) stopped for good once Marten found its progress moved
/// under it ("progression out of order"): two nodes ran it at once, as when a database outage made each take the
/// other for dead. It never restarts such a feed itself, since a restart while the race lasts adds a third runner;
/// so deliveries from that database stopped until the node restarted (found in the sharded test pass, after the
/// outage test). Here a feed seen stopped so on two checks in a row is released: the leader assigns it again, to
/// one node, and it resumes from its stored progress (a delivery may be repeated, under its one event id). Its test,
/// Webhooks/ARacedFeedResumes.cs, moves the progress under the feed as a second runner does.
/// </summary>
public sealed class RacedFeedRelease(IWolverineRuntime runtime, ILogger<RacedFeedRelease> logger) : BackgroundService
{
    public static readonly TimeSpan Every = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var seenBefore = new HashSet<Uri>();
        // A stopped agent is no longer listed as running, but stays registered on the node: the feeds this node has
        // run are remembered, and looked up again.
        var ranHere = new HashSet<Uri>();
        using var timer = new PeriodicTimer(Every);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                ranHere.UnionWith(runtime.Agents.AllRunningAgentUris());
                var raced = ranHere.Where(Raced).ToHashSet();
                foreach (var feed in raced.Where(seenBefore.Contains))
                {
                    logger.LogWarning("Event feed {Feed} stopped after another node ran it at the same time; released to be assigned again", feed);
                    await runtime.Agents.StopLocallyAsync(feed);
                    raced.Remove(feed);
                }
                seenBefore = raced;
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // Messaging not started yet (the database away at start), or the database away now: next time.
                logger.LogDebug(e, "Checking for raced event feeds failed");
            }
        }
    }

    /// <summary>
    /// Stopped on its progress row: found moved ("out of order"), or inserted by another runner first (a unique
    /// violation on it, which Marten reports as no particular kind of failure). Failures of any other kind (an event
    /// it cannot handle) would recur at once: those are Wolverine's to report, not ours to restart.
    /// </summary>
    private bool Raced(Uri agent) =>
        runtime.Agents.TryFindActiveAgent<IEventSubscriptionAgent>(agent, out var feed)
        && feed.Status != AgentStatus.Running
        && feed.Failure is { } failure
        && (failure.Category == ShardFailureCategory.ProgressionOutOfOrder
            || $"{failure.Message} {failure.Detail}".Contains(ProgressTable, StringComparison.Ordinal));

    private const string ProgressTable = "mt_event_progression";
}
