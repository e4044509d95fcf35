using Catalog.Http;
using System.ComponentModel;
using System.Security.Claims;
using Catalog.Accounts;
using Catalog.Conventions;
using JasperFx.Events;
using Marten.Events;
using Marten.Linq.MatchesSql;

namespace Catalog.EventLog;

[SchemaName("Event")]
public record EventLogEntry(
    long Sequence,
    [property: PublicEventName] string Type, Guid StreamId, long Version, DateTimeOffset OccurredAt, JsonElement Data);

/// <summary>A page of the event log, oldest first: the cursor is the last sequence seen.</summary>
public record EventPageRequest : PageRequest<long>
{
    [FromQuery(Name = "type"), Description("Only events of this type."), PublicEventName]
    public string? Type { get; set; }
}

[Tags("Events")]
public static class ListEventsEndpoint
{
    public static ProblemDetails Validate([AsParameters] EventPageRequest page)
    {
        if (page.Cursor < 0) return Problems.Validation("cursor", "must be the nextCursor of a previous page (a sequence number)");
        if (page.Type is not null && PublicEvents.TypeNamed(page.Type) is null)
            return Problems.Validation("type", $"must be one of {string.Join(", ", PublicEvents.Names)}");
        return WolverineContinue.NoProblems;
    }

    /// <summary>
    /// The account's own events, oldest first by the event store's global sequence, read from Marten's event
    /// table itself (conjoined tenancy limits the query to the key's account). The cursor is the last sequence
    /// seen; <c>type</c> filters by one public name.
    /// </summary>
    [ReadMayLag]
    [WolverineGet("/api/v1/events", OperationId = "listEvents", Summary = "Read the event log, oldest first")]
    [Authorize(Scopes.EventsRead)]
    public static async Task<Page<EventLogEntry>> Get([AsParameters] EventPageRequest page, ClaimsPrincipal user, IQuerySession session,
        CancellationToken token)
    {
        var (type, cursor, take) = (page.Type, page.Cursor, page.Take);
        // License events carry license keys: without licenses:read they are left out.
        var readsLicenses = user.Has(Scopes.LicensesRead);
        Type[] types = (type is null ? PublicEvents.Types : [PublicEvents.TypeNamed(type)!])
            .Where(x => readsLicenses || !PublicEvents.IsLicenseEvent(PublicEvents.NameOf(x)!))
            .ToArray();
        if (types.Length == 0) return Pagination.Of(Array.Empty<IEvent>(), take, Entry, x => x.Sequence.ToString());

        var events = await Page(session, types, cursor, take + 1).ToListAsync(token);
        return Pagination.Of(events, take, Entry, x => x.Sequence.ToString());
    }

    /// <summary>
    /// Up to <paramref name="count"/> of the session's account's events of these types after the cursor. Their
    /// sequence numbers come first, from the account's own index alone (an index-only scan): a plain "where
    /// account = ? order by sequence" lets PostgreSQL walk the whole table in sequence order whenever it guesses
    /// the account's events are spread evenly over it, which they never are.
    /// </summary>
    public static IQueryable<IEvent> Page(IQuerySession session, Type[] types, long? cursor, int count) =>
        session.Events.QueryAllRawEvents()
            .Where(x => x.MatchesSql(PageOfTheLog(session.DocumentStore.Options.Events.DatabaseSchemaName),
                session.TenantId, StoredNames(session, types), cursor ?? 0, count))
            .OrderBy(x => x.Sequence).Take(count);

    private static string[] StoredNames(IQuerySession session, Type[] types)
    {
        var events = (EventGraph)session.DocumentStore.Options.Events;
        return types.Select(x => events.EventMappingFor(x).EventTypeName).ToArray();
    }

    /// <summary>
    /// The page: the account's events of the given types after the cursor, oldest first. The log never skips:
    /// sequence numbers are taken before commit, so an event is listed only once every lower sequence has committed
    /// or been abandoned. That holds up to the daemon's high-water mark (it waits out a gap while any transaction
    /// that could fill it is alive) and, past the mark, up to the first gap this query's snapshot sees: there every
    /// lower sequence is visible, hence committed. So the log lags only behind a gap, until the daemon rules on it
    /// (a few seconds), not behind every write.
    /// </summary>
    private static string PageOfTheLog(string schema) => $"""
        d.seq_id = ANY(ARRAY(
          select e.seq_id from {schema}.mt_events e
          where e.tenant_id = ? and e.type = ANY(?) and not e.is_archived and e.seq_id > ? and e.seq_id <= (
            with mark as (select coalesce((select last_seq_id from {schema}.mt_event_progression where name = 'HighWaterMark'), 0) as seq),
            after_mark as (select a.seq_id from {schema}.mt_events a where a.seq_id > (select seq from mark) order by a.seq_id limit 10000),
            unbroken as (select seq_id, seq_id - (select seq from mark) - row_number() over (order by seq_id) as holes from after_mark)
            select coalesce(max(seq_id) filter (where holes = 0), (select seq from mark)) from unbroken)
          order by e.seq_id limit ?))
        """;

    public static EventLogEntry Entry(IEvent e) =>
        new(e.Sequence, PublicEvents.NameOf(e.EventType)!, e.StreamId, e.Version, e.Timestamp, PublicEvents.Payload(e.Data));
}
