using Catalog.Conventions;
using JasperFx;
using JasperFx.Events;

namespace Catalog.Http;

/// <summary>
/// An endpoint whose transaction can lose to a concurrent one (deadlock, serialization failure, a stream version or
/// stream taken meanwhile) or draw a random value twice (<see cref="UniqueIndexes"/>): it runs again, up to five times.
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
/// Requests that happen more than once: a client's repeat (the <c>Idempotency-Key</c> checked, a replay marked:
/// <see cref="IdempotencyKeyHeader"/>), and the service's own, when nothing was committed or sent (contention, or a
/// standby that could not answer a lagging read). ASP.NET Core middleware: Wolverine's generated code answers a
/// repeated key before any middleware of ours, and cannot run itself twice.
/// </summary>
public sealed class Repeats(RequestDelegate next, StandbyReads standbys, ILogger<Repeats> logger)
{
    public const int Attempts = 5;

    public async Task InvokeAsync(HttpContext context)
    {
        var endpoint = context.GetEndpoint();
        if (endpoint?.Metadata.GetMetadata<HttpChain>()?.DeduplicatedWithResponse is { } keyed
            && IdempotencyKeyHeader.Check(context, keyed) is { } refusal)
        {
            await Results.Problem(refusal).ExecuteAsync(context);
            return;
        }
        var contention = endpoint?.Metadata.GetMetadata<RetryOnContentionAttribute>();
        var mayLag = endpoint?.Metadata.GetMetadata<ReadMayLagAttribute>() is not null;
        if (contention is null && !mayLag)
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
            catch (Exception e) when (attempt < Attempts && !context.Response.HasStarted
                                      && (contention?.IsContention(e) == true || mayLag && standbys.ReadAgainOnThePrimary(context, e)))
            {
                logger.LogInformation("Running {Method} {Path} again (attempt {Attempt}): {Reason}",
                    context.Request.Method, context.Request.Path, attempt + 1, e.Message);
                context.Response.Clear();
                // Wolverine's idempotency fingerprint reads the body before the edge's middleware: back to its start.
                if (context.Request.Body.CanSeek) context.Request.Body.Position = 0;
                if (contention is not null) await Task.Delay(Random.Shared.Next(1, 5 * attempt), context.RequestAborted);
            }
        }
    }
}

/// <summary>A random value was found taken outside the endpoint's transaction (the directory, with shards): draw again.</summary>
public sealed class DrawAgainException(string message, Exception inner) : Exception(message, inner);
