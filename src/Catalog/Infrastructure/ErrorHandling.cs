using System.Net.Sockets;
using System.Text.Json;
using Marten.Exceptions;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Npgsql;

namespace Catalog.Infrastructure;

/// <summary>
/// Every error leaves the service as RFC 9457 problem details: status pages for empty error responses
/// (404 from a missing aggregate, 405), and one exception handler that maps what the database says to
/// the contract's statuses. What reaches the end of this handler unmapped is a bug, answered as a 500.
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
            problem.Type = problem.Type is null || problem.Type.StartsWith("https://tools.ietf.org", StringComparison.Ordinal)
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

/// <summary>Maps database failures to the contract: unique values taken (409), database away (503).</summary>
public sealed class DatabaseExceptionHandler(IProblemDetailsService problems, ILogger<DatabaseExceptionHandler> logger)
    : IExceptionHandler
{
    /// <summary>Unique indexes whose violation is the client's conflict, by index name: the field it guards.</summary>
    private static readonly Dictionary<string, string> UniqueFields = new(StringComparer.Ordinal);

    public static void RegisterUniqueField(string indexName, string field) => UniqueFields[indexName] = field;

    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken token)
    {
        var postgres = exception.Find<PostgresException>();
        ProblemDetails? problem = null;

        if (postgres is { SqlState: PostgresErrorCodes.UniqueViolation } && postgres.ConstraintName is { } index
            && UniqueFields.TryGetValue(index, out var field))
        {
            var value = await SentValue(context, field) ?? "(the value sent)";
            problem = Problems.Status(409, $"The {field} '{value}' is already taken in this account.");
        }
        else if (IsDatabaseUnavailable(exception))
        {
            logger.LogWarning(exception, "Database unavailable while serving {Path}", context.Request.Path);
            context.Response.Headers.RetryAfter = "5";
            problem = Problems.Status(503, "The database is unavailable; retry shortly.");
        }

        if (problem is null) return false;

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

    /// <summary>The conflicting value as the client sent it (the body is kept in memory by <see cref="RequestBodies"/>).</summary>
    private static async Task<string?> SentValue(HttpContext context, string field)
    {
        if (context.Request.Body is not MemoryStream body) return null;
        body.Position = 0;
        try
        {
            using var document = await JsonDocument.ParseAsync(body);
            return document.RootElement.ValueKind == JsonValueKind.Object
                   && document.RootElement.TryGetProperty(field, out var value) && value.ValueKind == JsonValueKind.String
                ? value.GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
