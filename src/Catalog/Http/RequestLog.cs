using Catalog.Conventions;
using System.Diagnostics;

namespace Catalog.Http;

/// <summary>
/// One log line per request: method, path, status, duration, account, request id. Never headers, query strings or
/// bodies (keys, secrets, customers' data). Written as JSON by <see cref="RequestLogLines"/> where the console logs JSON.
/// </summary>
public sealed partial class RequestLog(RequestDelegate next, ILogger<RequestLog> logger, RequestLogLines writer)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var started = Stopwatch.GetTimestamp();
        try { await next(context); }
        finally
        {
            if (logger.IsEnabled(LogLevel.Information))
            {
                var x = new RequestLine(context.Request.Method, context.Request.Path.Value ?? "", context.Response.StatusCode,
                    Math.Round(Stopwatch.GetElapsedTime(started).TotalMilliseconds, 1),
                    context.User.FindFirst(CatalogClaims.AccountId)?.Value, context.TraceIdentifier);
                if (writer.Writes) await writer.WriteAsync(x);
                else Completed(logger, x.Method, x.Path, x.Status, x.DurationMs, x.AccountId, x.RequestId);
            }
        }
    }
    public const int EventId = 326587726; // the one the logger gave this message before it had a number of its own
    public const string Format = "{Method} {Path} {Status} in {DurationMs} ms (account {AccountId}, request {RequestId})";
    [LoggerMessage(EventId = EventId, Level = LogLevel.Information, Message = Format)]
    private static partial void Completed(ILogger logger, string method, string path, int status, double durationMs, string? accountId, string requestId);
}

public readonly record struct RequestLine(string Method, string Path, int Status, double DurationMs, string? AccountId, string RequestId);

