using Catalog.Accounts;
using Catalog.Conventions;
using Marten;
using Marten.Linq.MatchesSql;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;
using Wolverine.Http.Marten;

namespace Catalog.Webhooks;

public record DeliveryAttempt(Guid Id, Guid EventId, string Type, int Attempt, string Status, int? ResponseCode, DateTimeOffset AttemptedAt)
{
    public static DeliveryAttempt From(WebhookDelivery d) => new(d.Id, d.EventId, d.Type, d.Attempt, d.Status, d.ResponseCode, d.AttemptedAt);
}

public static class ListDeliveriesEndpoint
{
    /// <summary>Every attempt to deliver to the endpoint, newest first, paginated as products.</summary>
    [WolverineGet("/api/v1/webhook-endpoints/{id}/deliveries")]
    [Authorize(Scopes.WebhooksWrite)]
    [ProducesResponseType<Page<DeliveryAttempt>>(StatusCodes.Status200OK, "application/json")]
    public static async Task<IResult> Get([Document("id")] WebhookEndpoint endpoint, HttpRequest request, IQuerySession session,
        CancellationToken token)
    {
        if (!PageRequest.TryParse(request.Query, out var page, out var problem)) return Results.Problem(problem);

        var query = session.Query<WebhookDelivery>().Where(x => x.EndpointId == endpoint.Id);
        if (page.Cursor is { } cursor) query = query.Where(x => x.MatchesSql("d.id < ?", cursor));
        var deliveries = await query.OrderByDescending(x => x.Id).Take(page.Limit + 1).ToListAsync(token);
        return Results.Ok(page.Of(deliveries, DeliveryAttempt.From, x => x.Id.ToString()));
    }
}
