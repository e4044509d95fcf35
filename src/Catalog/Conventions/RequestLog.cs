using System.Diagnostics;

namespace Catalog.Conventions;

/// <summary>
/// One log line per request: method, path, status, duration, account and request id. Never headers, query
/// strings or bodies, so an API key, a webhook secret or a customer's data cannot end up in the logs.
/// In Production the console writes each line as JSON (appsettings.Production.json).
/// </summary>
public sealed partial class RequestLog(RequestDelegate next, ILogger<RequestLog> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            await next(context);
        }
        finally
        {
            Completed(logger, context.Request.Method, context.Request.Path.Value ?? "", context.Response.StatusCode,
                Math.Round(Stopwatch.GetElapsedTime(started).TotalMilliseconds, 1),
                context.User.FindFirst(CatalogClaims.AccountId)?.Value, context.TraceIdentifier);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Method} {Path} {Status} in {DurationMs} ms (account {AccountId}, request {RequestId})")]
    private static partial void Completed(ILogger logger, string method, string path, int status, double durationMs, string? accountId, string requestId);
}
