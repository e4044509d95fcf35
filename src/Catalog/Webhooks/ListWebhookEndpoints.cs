using Catalog.Accounts;
using Catalog.Conventions;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace Catalog.Webhooks;

/// <summary>An endpoint as listed: never its secret.</summary>
public record WebhookEndpointSummary(Guid Id, string Url, string[] Events, DateTimeOffset CreatedAt)
{
    public static WebhookEndpointSummary From(WebhookEndpoint e) => new(e.Id, e.Url, e.Events, e.CreatedAt);
}

public static class ListWebhookEndpointsEndpoint
{
    /// <summary>All of the account's endpoints (at most the cap), oldest first.</summary>
    [WolverineGet("/api/v1/webhook-endpoints")]
    [Authorize(Scopes.WebhooksWrite)]
    [ProducesResponseType<Page<WebhookEndpointSummary>>(StatusCodes.Status200OK, "application/json")]
    public static async Task<IResult> Get(HttpRequest request, IQuerySession session, CancellationToken token)
    {
        if (request.Query.Count > 0)
            return Results.Problem(Problems.Validation(request.Query.Keys.First(), "is not a known query parameter"));

        var endpoints = await session.Query<WebhookEndpoint>().OrderBy(x => x.Id).ToListAsync(token);
        return Results.Ok(new Page<WebhookEndpointSummary>(endpoints.Select(WebhookEndpointSummary.From).ToList(), new Pagination(null, false)));
    }
}
