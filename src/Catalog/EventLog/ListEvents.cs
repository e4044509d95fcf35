using System.Text.Json;
using Catalog.Accounts;
using Catalog.Conventions;
using JasperFx.Events;
using Marten;
using Marten.Events;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace Catalog.EventLog;

public record EventLogEntry(long Sequence, string Type, Guid StreamId, long Version, DateTimeOffset OccurredAt, JsonElement Data);

public static class ListEventsEndpoint
{
    /// <summary>
    /// The account's own events, oldest first by the event store's global sequence, read from Marten's event
    /// table itself (conjoined tenancy limits the query to the key's account). The cursor is the last sequence
    /// seen; <c>type</c> filters by one public name.
    /// </summary>
    [WolverineGet("/api/v1/events")]
    [Authorize(Scopes.EventsRead)]
    [ProducesResponseType<Page<EventLogEntry>>(StatusCodes.Status200OK, "application/json")]
    public static async Task<IResult> Get(HttpRequest request, IQuerySession session, CancellationToken token)
    {
        if (!PageRequest.TryParseSequence(request.Query, out var page, out var problem, "type")) return Results.Problem(problem);

        Type[] types = [.. PublicEvents.Types];
        if (request.Query.TryGetValue("type", out var typeText) && typeText[0] is { Length: > 0 } name)
        {
            if (PublicEvents.TypeNamed(name) is not { } type)
                return Results.Problem(Problems.Validation("type", $"must be one of {string.Join(", ", PublicEvents.Names)}"));
            types = [type];
        }

        var query = session.Events.QueryAllRawEvents().Where(x => x.EventTypesAre(types));
        if (page.Cursor is { } after) query = query.Where(x => x.Sequence > after);
        var events = await query.OrderBy(x => x.Sequence).Take(page.Limit + 1).ToListAsync(token);

        return Results.Ok(page.Of(events, Entry, x => x.Sequence.ToString()));
    }

    public static EventLogEntry Entry(IEvent e) =>
        new(e.Sequence, PublicEvents.NameOf(e.EventType)!, e.StreamId, e.Version, e.Timestamp, PublicEvents.Payload(e.Data));
}
