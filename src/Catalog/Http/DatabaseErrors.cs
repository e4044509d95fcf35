using Catalog.Conventions;
using Microsoft.AspNetCore.Diagnostics;
using Npgsql;
using System.Net.Sockets;

namespace Catalog.Http;

public static class DatabaseErrors
{
    /// <summary>
    /// Whether PostgreSQL refused a value because <paramref name="declaredIndex"/> (a unique index named
    /// <c>&lt;table&gt;_uidx_&lt;what&gt;</c>, as every one of ours is) already holds it. Known by what it is, not by the
    /// name alone: with shards each account's rows are a partition of the table, and the violated index is the
    /// partition's copy, which PostgreSQL names after the partition (<c>mt_doc_product_&lt;account&gt;_lower_tenant_id_idx</c>).
    /// A violation on a partition of the index's table is the index's, unless it is the partition's primary key: each of
    /// these tables has one unique index besides its key.
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

/// <summary>
/// The failures every endpoint shares: the database is away (503 with Retry-After, and the process keeps running),
/// or it refused a value as data no check caught (400).
/// A failure that belongs to one endpoint (a taken code, say) is answered by that endpoint's own OnException.
/// </summary>
public sealed class DatabaseExceptionHandler(IProblemDetailsService problems, ILogger<DatabaseExceptionHandler> logger)
    : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken token)
    {
        if (exception.Find<PostgresException>() is { SqlState: var state } && state.StartsWith("22", StringComparison.Ordinal))
        {
            // A data exception: a value PostgreSQL cannot hold or compare (a NUL reaching a query, say) that a
            // validation missed. The client's input, so a 400, and nothing was stored; logged, to add the check.
            logger.LogWarning(exception, "A value PostgreSQL refused reached the database while serving {Path}", context.Request.Path);
            var refused = Problems.Status(400, "A value in the request cannot be stored or compared (a NUL character, say).");
            context.Response.StatusCode = 400;
            return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = refused, Exception = exception });
        }
        if (exception.Find<JasperFx.MultiTenancy.UnknownTenantIdException>() is not null)
        {
            // With shards: an account (its key authenticated) that was never placed on one. An operator's mistake
            // (accounts are placed when created), not the client's: its data cannot be reached.
            logger.LogError(exception, "An account without a shard was served {Path}: place it (docs/scale-out.md)", context.Request.Path);
            var unplaced = Problems.Status(503, "The account's data cannot be reached: it has no shard.");
            context.Response.StatusCode = 503;
            return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = unplaced, Exception = exception });
        }
        if (!IsDatabaseUnavailable(exception)) return false;

        logger.LogWarning(exception, "Database unavailable while serving {Path}", context.Request.Path);
        context.Response.Headers.RetryAfter = "5";
        var problem = Problems.Status(503, "The database is unavailable; retry shortly.");
        context.Response.StatusCode = problem.Status!.Value;
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem, Exception = exception });
    }

    public static bool IsDatabaseUnavailable(Exception exception)
    {
        if (exception.Find<PostgresException>() is { } server)
            return server.SqlState.StartsWith("08", StringComparison.Ordinal) // connection exceptions
                   || server.SqlState is PostgresErrorCodes.CannotConnectNow or PostgresErrorCodes.AdminShutdown
                       or PostgresErrorCodes.CrashShutdown or PostgresErrorCodes.TooManyConnections;

        // Any other Npgsql failure is the connection itself: refused, reset, or timed out; or a connection that broke
        // under a session, which Marten then refuses to go on using.
        return exception.Find<NpgsqlException>() is not null || exception.Find<SocketException>() is not null
               || exception.Find<Marten.Exceptions.SessionTransactionUnusableException>() is not null;
    }
}
