using System.Net.Sockets;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Npgsql;

namespace Catalog.Conventions;

/// <summary>
/// Every error leaves the service as RFC 9457 problem details: status pages for empty error responses
/// (404 from a missing aggregate, 405), Wolverine's own answers reworded to name the field, and one exception
/// handler for a database that is away. What reaches the end of it unmapped is a bug, answered as a 500.
/// </summary>
public static class ErrorHandling
{
    public static IServiceCollection AddCatalogProblemDetails(this IServiceCollection services)
    {
        services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
        {
            var problem = context.ProblemDetails;
            var status = problem.Status ?? context.HttpContext.Response.StatusCode;
            problem.Status = status;
            RequestBodies.DescribeRefusedBody(context);
            Pagination.DescribeUnparseableQueryValue(context);
            // The framework's own type links (tools.ietf.org, httpstatuses.com) become the RFC 9110 sections we use.
            problem.Type = problem.Type is null || !problem.Type.StartsWith("https://www.rfc-editor.org", StringComparison.Ordinal)
                ? Problems.TypeFor(status)
                : problem.Type;
            problem.Detail ??= DefaultDetail(status);
            problem.Instance = null;
            problem.Extensions.Remove("lineNumber");
            problem.Extensions.Remove("bytePositionInLine");
        });
        services.AddExceptionHandler<DatabaseExceptionHandler>();
        return services;
    }

    private static string DefaultDetail(int status) => status switch
    {
        404 => "No such resource.",
        405 => "This method is not allowed on this resource.",
        406 => "This resource answers only application/json.",
        _ => Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status)
    };
}

/// <summary>
/// The one failure every endpoint shares: the database is away (503 with Retry-After, and the process keeps running).
/// A failure that belongs to one endpoint (a taken code, say) is answered by that endpoint's own OnException.
/// </summary>
public sealed class DatabaseExceptionHandler(IProblemDetailsService problems, ILogger<DatabaseExceptionHandler> logger)
    : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken token)
    {
        if (!IsDatabaseUnavailable(exception)) return false;

        logger.LogWarning(exception, "Database unavailable while serving {Path}", context.Request.Path);
        context.Response.Headers.RetryAfter = "5";
        var problem = Problems.Status(503, "The database is unavailable; retry shortly.");
        context.Response.StatusCode = problem.Status!.Value;
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem, Exception = exception });
    }

    private static bool IsDatabaseUnavailable(Exception exception)
    {
        if (exception.Find<PostgresException>() is { } server)
            return server.SqlState.StartsWith("08", StringComparison.Ordinal) // connection exceptions
                   || server.SqlState is PostgresErrorCodes.CannotConnectNow or PostgresErrorCodes.AdminShutdown
                       or PostgresErrorCodes.CrashShutdown or PostgresErrorCodes.TooManyConnections;

        // Any other Npgsql failure is the connection itself: refused, reset, or timed out.
        return exception.Find<NpgsqlException>() is not null || exception.Find<SocketException>() is not null;
    }
}
