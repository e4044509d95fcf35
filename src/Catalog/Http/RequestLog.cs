using Catalog.Conventions;
using System.Diagnostics;

namespace Catalog.Http;

/// <summary>
/// One log line per request: method, path, status, duration, account and request id. Never headers, query
/// strings or bodies, so an API key, a webhook secret or a customer's data cannot end up in the logs.
/// In Production the console writes each line as JSON (appsettings.Production.json), and a cheaper writer of the
/// same JSON (<see cref="IRequestLogWriter"/>, in Hosting) takes the line instead of the logger.
/// </summary>
public sealed partial class RequestLog(RequestDelegate next, ILogger<RequestLog> logger, IRequestLogWriter writer)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var started = Stopwatch.GetTimestamp();
        try { await next(context); }
        finally
        {
            // The level is the logging configuration's, as for any other category.
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

/// <summary>Writes request lines itself, in the logger's stead, when <see cref="Writes"/>.</summary>
public interface IRequestLogWriter { bool Writes { get; } ValueTask WriteAsync(RequestLine line); }
