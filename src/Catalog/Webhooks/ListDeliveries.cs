using Catalog.Http;
using System.ComponentModel.DataAnnotations;
using System.ComponentModel;
using Catalog.Accounts;
using Catalog.Conventions;
using Marten;
using Marten.Linq.MatchesSql;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;
using Wolverine.Http.Marten;

namespace Catalog.Webhooks;

[SchemaName("WebhookDelivery")]
public record DeliveryAttempt(Guid Id, Guid EventId, string Type, int Attempt, string Status, int? ResponseCode, DateTimeOffset AttemptedAt)
{
    public static DeliveryAttempt From(WebhookDelivery d) => new(d.Id, d.EventId, d.Type, d.Attempt, d.Status, d.ResponseCode, d.AttemptedAt);
}

[Tags("Webhooks")]
public static class ListDeliveriesEndpoint
{
    public static ProblemDetails Validate(HttpRequest request, [FromQuery] int? limit) => Pagination.Check(request.Query, limit);

    /// <summary>Every attempt to deliver to the endpoint, newest first, paginated as products.</summary>
    [WolverineGet("/api/v1/webhook-endpoints/{id}/deliveries", OperationId = "listWebhookDeliveries", Summary = "List delivery attempts, newest first")]
    [Authorize(Scopes.WebhooksWrite)]
    public static async Task<Page<DeliveryAttempt>> Get([Document("id")] WebhookEndpoint endpoint,
        [FromQuery, Description(Pagination.CursorDescription)] Guid? cursor,
        [FromQuery, Description(Pagination.LimitDescription), Range(1, Pagination.MaxLimit), DefaultValue(Pagination.DefaultLimit)] int? limit,
        IQuerySession session, CancellationToken token)
    {
        var take = limit ?? Pagination.DefaultLimit;
        var query = session.Query<WebhookDelivery>().Where(x => x.EndpointId == endpoint.Id);
        if (cursor is { } after) query = query.Where(x => x.MatchesSql("d.id < ?", after));
        var deliveries = await query.OrderByDescending(x => x.Id).Take(take + 1).ToListAsync(token);
        return Pagination.Of(deliveries, take, DeliveryAttempt.From, x => x.Id.ToString());
    }
}
