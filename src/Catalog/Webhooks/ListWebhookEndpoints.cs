using Catalog.Http;
using Catalog.Accounts;
using Catalog.Conventions;

namespace Catalog.Webhooks;

/// <summary>An endpoint as listed: never its secret. <c>status</c> is <c>enabled</c> or <c>disabled</c>.</summary>
[SchemaName("WebhookEndpoint")]
public record WebhookEndpointSummary(
    Guid Id, string Url, string[] Events,
    [property: AllowedValues(WebhookStatus.Enabled, WebhookStatus.Disabled)] string Status,
    DateTimeOffset CreatedAt)
{
    public static WebhookEndpointSummary From(WebhookEndpoint e) => new(e.Id, e.Url, e.Events, e.Status, e.CreatedAt);
}

[Tags("Webhooks")]
public static class ListWebhookEndpointsEndpoint
{
    /// <summary>Takes no query parameters: every endpoint fits on one page (at most the cap).</summary>
    public static ProblemDetails Validate(HttpRequest request) =>
        request.Query.Count > 0
            ? Problems.Validation(request.Query.Keys.First(), "is not a known query parameter")
            : WolverineContinue.NoProblems;

    /// <summary>All of the account's endpoints (at most the cap), oldest first.</summary>
    [ReadMayLag]
    [WolverineGet("/api/v1/webhook-endpoints", OperationId = "listWebhookEndpoints", Summary = "List webhook endpoints")]
    [Authorize(Scopes.WebhooksWrite)]
    public static async Task<Page<WebhookEndpointSummary>> Get(IQuerySession session, CancellationToken token)
    {
        var endpoints = await session.Query<WebhookEndpoint>().OrderBy(x => x.Id).ToListAsync(token);
        return new Page<WebhookEndpointSummary>(endpoints.Select(WebhookEndpointSummary.From).ToList(), new PageInfo(null, false));
    }
}
