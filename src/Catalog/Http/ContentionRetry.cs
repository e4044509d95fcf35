using Catalog.Conventions;
using JasperFx;
using JasperFx.Events;
using Npgsql;

namespace Catalog.Http;

/// <summary>
/// Marks an endpoint whose transaction can lose to a concurrent one (a deadlock, a serialization failure, a stream
/// version taken by a concurrent writer, a stream a concurrent writer started first) or to a random value drawn twice (a violation of one of
/// <see cref="UniqueIndexes"/>). Such a request is run again inside the service, up to five times: contention is
/// never the client's error.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class RetryOnContentionAttribute(params string[] uniqueIndexes) : Attribute
{
    /// <summary>Unique indexes on values the endpoint draws at random: a violation means "draw again".</summary>
    public string[] UniqueIndexes { get; } = uniqueIndexes;

    /// <summary>Marten's quick append raises it when a stream it expected to start (version 0) was started meanwhile.</summary>
    private const string MartenStreamVersionMismatch = "MT003";

    public bool IsContention(Exception exception) =>
        exception.Find<ConcurrencyException>() is not null
        || exception.Find<EventStreamUnexpectedMaxEventIdException>() is not null
        || exception.Find<Marten.Exceptions.ExistingStreamIdCollisionException>() is not null
        || exception.Find<DrawAgainException>() is not null
        || exception.Find<PostgresException>() is { } postgres
           && (postgres.SqlState is PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected or MartenStreamVersionMismatch
               || UniqueIndexes.Any(exception.IsUniqueViolationOf));
}

/// <summary>
/// Runs a request to an endpoint marked <see cref="RetryOnContentionAttribute"/> again when its transaction lost to
/// contention: nothing was committed and nothing was sent yet, and <see cref="RequestBodies"/> keeps the body in
/// memory to be read again. Other endpoints pass straight through.
/// </summary>
public sealed class ContentionRetry(RequestDelegate next, ILogger<ContentionRetry> logger)
{
    public const int Attempts = 5;

    public async Task InvokeAsync(HttpContext context)
    {
        if (context.GetEndpoint()?.Metadata.GetMetadata<RetryOnContentionAttribute>() is not { } retry)
        {
            await next(context);
            return;
        }

        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await next(context);
                return;
            }
            catch (Exception e) when (attempt < Attempts && !context.Response.HasStarted && retry.IsContention(e))
            {
                logger.LogInformation("Retrying {Method} {Path} after contention (attempt {Attempt}): {Reason}",
                    context.Request.Method, context.Request.Path, attempt, e.Message);
                if (context.Request.Body.CanSeek) context.Request.Body.Position = 0;
                context.Response.Clear();
                await Task.Delay(Random.Shared.Next(1, 5 * attempt), context.RequestAborted);
            }
        }
    }
}

/// <summary>
/// A value drawn at random was found taken where no unique index of the endpoint's own transaction could say so (a
/// license key's entry in the directory, with shards): the request runs again and draws again.
/// </summary>
public sealed class DrawAgainException(string message, Exception inner) : Exception(message, inner);
