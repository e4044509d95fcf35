using Catalog.Conventions;
using Microsoft.AspNetCore.Diagnostics;
using System.Net.Sockets;

namespace Catalog.Http;

public static class DatabaseErrors
{
    /// <summary>
    /// Whether <paramref name="declaredIndex"/> (<c>&lt;table&gt;_uidx_&lt;what&gt;</c>) already holds a value. With shards the
    /// violated index is a partition's copy, named after the partition: any unique violation on a partition of the
    /// table but its primary key (each table has one unique index besides it).
    /// </summary>
    public static bool IsUniqueViolationOf(this Exception exception, string declaredIndex)
    {
        if (exception.Find<PostgresException>() is not { SqlState: PostgresErrorCodes.UniqueViolation, ConstraintName: { } violated } postgres)
            return false;
        if (violated == declaredIndex) return true;
        var separator = declaredIndex.IndexOf("_uidx_", StringComparison.Ordinal);
        return separator > 0 && postgres.TableName is { } table
               && table.StartsWith(declaredIndex[..separator] + "_", StringComparison.Ordinal)
               && !violated.Contains("pkey", StringComparison.Ordinal);
    }

    /// <summary>Database failures as problem details: 503 while it is away, 400 for a value it refused.</summary>
    public static IServiceCollection AddDatabaseErrors(this IServiceCollection services) =>
        services.AddExceptionHandler<DatabaseExceptionHandler>();
}

/// <summary>The database away (503, Retry-After), or refusing a value no check caught (400). An endpoint's own failures are its OnException's.</summary>
public sealed class DatabaseExceptionHandler(IProblemDetailsService problems, ILogger<DatabaseExceptionHandler> logger)
    : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken token)
    {
        ProblemDetails problem;
        if (exception.Find<PostgresException>() is { SqlState: var state } && state.StartsWith("22", StringComparison.Ordinal))
        {
            // A value PostgreSQL cannot hold or compare that a validation missed: the client's, and nothing was stored.
            logger.LogWarning(exception, "A value PostgreSQL refused reached the database while serving {Path}", context.Request.Path);
            problem = Problems.Status(400, "A value in the request cannot be stored or compared (a NUL character, say).");
        }
        else if (exception.Find<JasperFx.MultiTenancy.UnknownTenantIdException>() is not null)
        {
            // With shards, an account never placed on one: an operator's mistake, not the client's.
            logger.LogError(exception, "An account without a shard was served {Path}: place it (docs/scale-out.md)", context.Request.Path);
            problem = Problems.Status(503, "The account's data cannot be reached: it has no shard.");
        }
        else if (IsContentionLeftOver(exception))
        {
            // Lost the race for a row (a hot license) more times than the edge runs a request again (Repeats): nothing
            // was committed, and a retry a moment later goes through. Never a 500: the client did nothing wrong.
            logger.LogWarning(exception, "Contention outlasted the retries while serving {Path}", context.Request.Path);
            context.Response.Headers.RetryAfter = "1";
            problem = Problems.Status(503, "The resource is busy with concurrent changes; retry shortly.");
        }
        else if (IsDatabaseUnavailable(exception))
        {
            logger.LogWarning(exception, "Database unavailable while serving {Path}", context.Request.Path);
            context.Response.Headers.RetryAfter = "5";
            problem = Problems.Status(503, "The database is unavailable; retry shortly.");
        }
        else return false;
        context.Response.StatusCode = problem.Status!.Value;
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem, Exception = exception });
    }

    /// <summary>A deadlock, a serialization failure or a stream version conflict: contention, which a retry resolves.</summary>
    public static bool IsContentionLeftOver(Exception exception) =>
        exception.Find<PostgresException>() is { SqlState: PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure or "MT003" }
        || exception.Find<JasperFx.ConcurrencyException>() is not null
        || exception.Find<JasperFx.Events.EventStreamUnexpectedMaxEventIdException>() is not null;

    public static bool IsDatabaseUnavailable(Exception exception)
    {
        if (exception.Find<PostgresException>() is { } server)
            return server.SqlState.StartsWith("08", StringComparison.Ordinal) // connection exceptions
                   || server.SqlState is PostgresErrorCodes.CannotConnectNow or PostgresErrorCodes.AdminShutdown
                       or PostgresErrorCodes.CrashShutdown or PostgresErrorCodes.TooManyConnections;

        // Any other Npgsql failure is the connection itself, or one that broke under a Marten session.
        return exception.Find<NpgsqlException>() is not null || exception.Find<SocketException>() is not null
               || exception.Find<Marten.Exceptions.SessionTransactionUnusableException>() is not null;
    }
}
