using JasperFx;
using JasperFx.Events;
using Npgsql;

namespace Catalog.Infrastructure;

/// <summary>
/// Contention inside the service is never the client's error. When a request's transaction fails for a reason
/// that another try would not meet (a deadlock, a serialization failure, a stream version taken by a
/// concurrent writer, a random value drawn twice), the whole request runs again: nothing was committed and
/// nothing was sent yet, and <see cref="RequestBodies"/> keeps the body in memory to be read again.
/// </summary>
public sealed class ContentionRetry(RequestDelegate next, ILogger<ContentionRetry> logger)
{
    public const int Attempts = 5;
    private static readonly HashSet<string> RetriedUniqueIndexes = new(StringComparer.Ordinal);

    public static void RetryOnUniqueIndex(string indexName) => RetriedUniqueIndexes.Add(indexName);

    public async Task InvokeAsync(HttpContext context)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await next(context);
                return;
            }
            catch (Exception e) when (attempt < Attempts && !context.Response.HasStarted && IsContention(e))
            {
                logger.LogInformation("Retrying {Method} {Path} after contention (attempt {Attempt}): {Reason}",
                    context.Request.Method, context.Request.Path, attempt, e.Message);
                if (context.Request.Body.CanSeek) context.Request.Body.Position = 0;
                context.Response.Clear();
                await Task.Delay(Random.Shared.Next(1, 5 * attempt), context.RequestAborted);
            }
        }
    }

    public static bool IsContention(Exception exception) =>
        exception.Find<ConcurrencyException>() is not null
        || exception.Find<EventStreamUnexpectedMaxEventIdException>() is not null
        || exception.Find<PostgresException>() is { } postgres
           && (postgres.SqlState is PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected
               || postgres is { SqlState: PostgresErrorCodes.UniqueViolation, ConstraintName: { } index }
                  && RetriedUniqueIndexes.Contains(index));
}
