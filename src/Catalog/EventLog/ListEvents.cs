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

    [FromQuery(Name = "streamId"), Description("Only the events of this stream (a product's, or a license's: its machines, leases, usage, suspensions).")]
    public Guid? StreamId { get; set; }
}

[Tags("Events")]
public static class ListEventsEndpoint
{
    public static ProblemDetails Validate(HttpRequest request, [AsParameters] EventPageRequest page, ClaimsPrincipal user)
    {
        if (request.Query.TryGetValue("streamId", out var stream))
        {
            if (string.IsNullOrEmpty(stream)) return Problems.Validation("streamId", "must be a stream id (leave the parameter out for every stream)");
            // A stream's page is all its events, read in its order: a type filter would read past every other event
            // of a long stream (a license's leases, say) to find a few, or none.
            if (request.Query.ContainsKey("type")) return Problems.Validation("type", "cannot be combined with streamId: a stream's page lists all its events");
            // Every stream holds license events (a product's: its licenses' issue and revocation): without
            // licenses:read a page would read the stream to list next to nothing.
            if (!user.Has(Scopes.LicensesRead))
                return Problems.Status(403, $"This API key lacks the scope '{Scopes.LicensesRead}', which a stream's events need.");
        }
        if (page.Cursor < 0) return Problems.Validation("cursor", "must be the nextCursor of a previous page (a sequence number)");
        if (page.Type is not null && PublicEvents.TypeNamed(page.Type) is null)
            return Problems.Validation("type", $"must be one of {string.Join(", ", PublicEvents.Names)}");
        return WolverineContinue.NoProblems;
    }

    /// <summary>
    /// The account's own events, oldest first by the event store's global sequence, read from Marten's event
    /// table itself (conjoined tenancy limits the query to the key's account). The cursor is the last sequence
    /// seen; <c>type</c> filters by one public name, <c>streamId</c> by one stream.
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

        var events = await (page.StreamId is { } stream ? PageOfStream(session, stream, types, cursor, take + 1) : Page(session, types, cursor, take + 1))
            .ToListAsync(token);
        return Pagination.Of(events, take, Entry, x => x.Sequence.ToString());
    }

    /// <summary>The most rows a page reads of each type: the longest page and the row that says there is more.</summary>
    public const int MostPerType = Pagination.MaxLimit + 1;

    /// <summary>
    /// Up to <paramref name="count"/> of the session's account's events of these types after the cursor. Their
    /// sequence numbers come first, from the account's (account, type, sequence) index alone: for each type, the
    /// next <see cref="MostPerType"/> entries after the cursor (an index-only range scan in order, stopped by its
    /// limit), then the first <paramref name="count"/> of those. A page so reads at most types × 101 index entries
    /// whatever the account and its neighbours hold, and no plan can do otherwise: each type's scan is an equality
    /// on the index's first two columns, in its third's order, and no other index orders an account's events (an
    /// index on (account, sequence) let PostgreSQL, trusting stale statistics, walk a whole account filtering out
    /// the types it does not list, or sort it whole).
    /// </summary>
    public static IQueryable<IEvent> Page(IQuerySession session, Type[] types, long? cursor, int count)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, MostPerType);
        return session.Events.QueryAllRawEvents()
            .Where(x => x.MatchesSql(PageOfTheLog(session.DocumentStore.Options.Events.DatabaseSchemaName),
                StoredNames(session, types), session.TenantId, cursor ?? 0, count))
            .OrderBy(x => x.Sequence).Take(count);
    }

    /// <summary>
    /// Up to <paramref name="count"/> of one stream's events of these types after the cursor, from the event table's
    /// (account, stream, version) index: a stream's versions follow its sequence numbers (Marten's quick append reads
    /// the stream's version before its sequence numbers, and the stream's key refuses a version twice:
    /// Database.DeclareEventStore), so the scan starts at the cursor's version (when the cursor is one of the stream's
    /// events, as a previous page's is) and stops at its limit, whatever the account holds. The types only leave out
    /// the stream's internal events, which are few.
    /// </summary>
    public static IQueryable<IEvent> PageOfStream(IQuerySession session, Guid stream, Type[] types, long? cursor, int count)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, MostPerType);
        var schema = session.DocumentStore.Options.Events.DatabaseSchemaName;
        return session.Events.QueryAllRawEvents()
            .Where(x => x.MatchesSql($"""
                d.seq_id = ANY(ARRAY(
                  select e.seq_id from {schema}.mt_events e
                  where e.tenant_id = ? and e.stream_id = ? and e.seq_id > ? and not e.is_archived and e.type = ANY(?::text[])
                    and e.version > coalesce((select c.version from {schema}.mt_events c
                                              where c.seq_id = ? and c.tenant_id = ? and c.stream_id = ?), 0)
                    and e.seq_id <= {LastListable(schema)}
                  order by e.tenant_id, e.stream_id, e.version limit {MostPerType}))
                """, session.TenantId, stream, cursor ?? 0, StoredNames(session, types), cursor ?? 0, session.TenantId, stream))
            .OrderBy(x => x.Sequence).Take(count);
    }

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
    /// <remarks>
    /// Each type's scan is written so that only the (account, type, sequence) index can give its rows in order:
    /// <list type="bullet">
    /// <item>the type is bounded (<c>&gt;=</c> and <c>&lt;=</c>), not equated, and the rows ordered by the index's
    /// three columns: with <c>type = t.type</c> PostgreSQL drops the type from the order, and then the event table's
    /// primary key (its sequence) gives "order by sequence" too; a prepared statement's generic plan took it,
    /// walking every account's events from the cursor on (the plan test saw it);</item>
    /// <item>the cursor is a plain <c>seq_id &gt;</c>, so the index scan starts at it (a row comparison would start at
    /// the type's first entry and walk up to the cursor);</item>
    /// <item>the limit per type is a constant: as a parameter, a generic plan guesses 10,000 rows a type and pays
    /// for JIT compilation.</item>
    /// </list>
    /// Each type's scan reads past the high-water mark up to its limit and the mark cuts after: a type's rows come
    /// in sequence order, so those under the mark are its first ones.
    /// </remarks>
    private static string PageOfTheLog(string schema) => $"""
        d.seq_id = ANY(ARRAY(
          select p.seq_id
          from unnest(?::text[]) as t(type)
          cross join lateral (
            select e.seq_id from {schema}.mt_events e
            where e.tenant_id = ? and e.type >= t.type and e.type <= t.type and e.seq_id > ? and not e.is_archived
            order by e.tenant_id, e.type, e.seq_id limit {MostPerType}) p
          where p.seq_id <= {LastListable(schema)}
          order by p.seq_id limit ?))
        """;

    /// <summary>The last sequence number the log may list (the mark, or the first gap past it): see <see cref="PageOfTheLog"/>.</summary>
    private static string LastListable(string schema) => $"""
        (
            with mark as (select coalesce((select last_seq_id from {schema}.mt_event_progression where name = 'HighWaterMark'), 0) as seq),
            after_mark as (select a.seq_id from {schema}.mt_events a where a.seq_id > (select seq from mark) order by a.seq_id limit 10000),
            unbroken as (select seq_id, seq_id - (select seq from mark) - row_number() over (order by seq_id) as holes from after_mark)
            select coalesce(max(seq_id) filter (where holes = 0), (select seq from mark)) from unbroken)
        """;

    public static EventLogEntry Entry(IEvent e) =>
        new(e.Sequence, PublicEvents.NameOf(e.EventType)!, e.StreamId, e.Version, e.Timestamp, PublicEvents.Payload(e.Data));
}
