using Catalog.Conventions;
using JasperFx;
using JasperFx.Events;
using Npgsql;
using Wolverine.Http;

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
/// Requests that happen more than once. A client's repeat: an <c>Idempotency-Key</c> is checked, and a replayed answer
/// marked, around Wolverine's deduplication (<see cref="IdempotencyKeyHeader"/>). The service's own: a request runs
/// again, inside the service, when what failed was not the client's doing and nothing was committed or sent: an
/// endpoint marked <see cref="RetryOnContentionAttribute"/> whose transaction lost to contention (up to five
/// attempts), or a read marked <see cref="ReadMayLagAttribute"/> that its standby could not answer (once more, on the
/// primary). The body is held in memory (<see cref="RequestBodies"/>) to be read again. Other endpoints pass straight
/// through. An ASP.NET Core middleware: Wolverine's generated code answers a repeated key before any middleware of
/// ours, and cannot run itself twice.
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

/// <summary>
/// A value drawn at random was found taken where no unique index of the endpoint's own transaction could say so (a
/// license key's entry in the directory, with shards): the request runs again and draws again.
/// </summary>
public sealed class DrawAgainException(string message, Exception inner) : Exception(message, inner);
