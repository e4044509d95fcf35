using System.Security.Cryptography;
using System.Text;
using Catalog.Accounts;
using Marten;
using JasperFx;

namespace Catalog.Infrastructure;

/// <summary>
/// What a POST with an <c>Idempotency-Key</c> answered, kept 24 hours per account and key. The record is
/// written as "pending" before the request runs: a second request with the key while the first still runs is
/// refused (409), so two concurrent requests can never both take effect.
/// </summary>
public record IdempotentRequest(
    string Id,
    string Fingerprint,
    bool Completed,
    int Status,
    string? ContentType,
    string? Location,
    string? Body,
    DateTimeOffset CreatedAt);

/// <summary>
/// Stripe's idempotency: the same key with the same request within 24 hours answers the first answer again
/// (status, Location and body, with <c>Idempotent-Replayed: true</c>) without doing the work twice; with a
/// different request it is a 422. Answers of 5xx are not kept, so a retry after a failure runs again. Kept in
/// PostgreSQL, so it holds across restarts and nodes.
/// </summary>
public sealed class Idempotency(RequestDelegate next, IDocumentStore store, TimeProvider time, ILogger<Idempotency> logger)
{
    public const string Header = "Idempotency-Key";
    public static readonly TimeSpan KeptFor = TimeSpan.FromHours(24);

    public async Task InvokeAsync(HttpContext context)
    {
        var key = context.Request.Headers[Header].ToString();
        if (!HttpMethods.IsPost(context.Request.Method) || key.Length == 0
            || context.User.FindFirst(CatalogClaims.AccountId)?.Value is not { } account)
        {
            await next(context);
            return;
        }

        if (key.Length > 255 || key.Any(char.IsControl))
        {
            await Answer(context, Problems.Validation(Header, "must be 1-255 printable characters"));
            return;
        }

        var id = $"{account}:{key}";
        var fingerprint = await Fingerprint(context.Request);
        var now = time.UtcNow();

        var existing = await Claim(id, fingerprint, now);
        if (existing is not null)
        {
            if (existing.Fingerprint != fingerprint)
                await Answer(context, Problems.Status(422,
                    $"The Idempotency-Key '{key}' was already used with a different request in the last 24 hours."));
            else if (!existing.Completed)
                await Answer(context, Problems.Status(409,
                    $"A request with the Idempotency-Key '{key}' is still being processed; retry shortly."));
            else
                await Replay(context, existing);
            return;
        }

        var original = context.Response.Body;
        var captured = new MemoryStream();
        context.Response.Body = captured;
        try
        {
            await next(context);
        }
        catch
        {
            context.Response.Body = original;
            await Forget(id);
            throw;
        }

        context.Response.Body = original;
        var status = context.Response.StatusCode;
        if (status >= 500)
        {
            await Forget(id);
        }
        else
        {
            await using var session = store.LightweightSession();
            session.Store(new IdempotentRequest(id, fingerprint, true, status, context.Response.ContentType,
                context.Response.Headers.Location.ToString() is { Length: > 0 } location ? location : null,
                Encoding.UTF8.GetString(captured.ToArray()), now));
            await session.SaveChangesAsync();
        }

        captured.Position = 0;
        await captured.CopyToAsync(original);
    }

    /// <summary>Inserts the pending record, or returns the one a live earlier request left.</summary>
    private async Task<IdempotentRequest?> Claim(string id, string fingerprint, DateTimeOffset now)
    {
        for (var attempt = 0; attempt < 3; attempt++)
        {
            try
            {
                await using var session = store.LightweightSession();
                session.Insert(new IdempotentRequest(id, fingerprint, false, 0, null, null, null, now));
                await session.SaveChangesAsync();
                return null;
            }
            catch (DocumentAlreadyExistsException)
            {
                await using var query = store.QuerySession();
                var existing = await query.LoadAsync<IdempotentRequest>(id);
                if (existing is null) continue; // forgotten meanwhile: claim again
                if (now - existing.CreatedAt < KeptFor) return existing;
                await Forget(id); // expired: the key is free again
            }
        }
        throw new InvalidOperationException($"Could not claim the idempotency key {id}");
    }

    private async Task Forget(string id)
    {
        try
        {
            await using var session = store.LightweightSession();
            session.Delete<IdempotentRequest>(id);
            await session.SaveChangesAsync();
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Could not release the idempotency key {Id}", id);
        }
    }

    private static async Task<string> Fingerprint(HttpRequest request)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes($"{request.Method} {request.Path}{request.QueryString}\n"));
        if (request.Body.CanSeek)
        {
            request.Body.Position = 0;
            var buffer = new MemoryStream();
            await request.Body.CopyToAsync(buffer);
            hash.AppendData(buffer.ToArray());
            request.Body.Position = 0;
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static async Task Replay(HttpContext context, IdempotentRequest first)
    {
        context.Response.StatusCode = first.Status;
        context.Response.Headers["Idempotent-Replayed"] = "true";
        if (first.Location is not null) context.Response.Headers.Location = first.Location;
        if (first.ContentType is not null) context.Response.ContentType = first.ContentType;
        if (first.Body is { Length: > 0 }) await context.Response.WriteAsync(first.Body);
    }

    private static Task Answer(HttpContext context, Microsoft.AspNetCore.Mvc.ProblemDetails problem) =>
        Results.Problem(problem).ExecuteAsync(context);
}

public static class IdempotencyConfiguration
{
    public static StoreOptions ConfigureIdempotency(this StoreOptions options)
    {
        options.Schema.For<IdempotentRequest>().SingleTenanted().Index(x => x.CreatedAt);
        return options;
    }

    public static IServiceCollection AddIdempotency(this IServiceCollection services) =>
        services.AddHostedService<ExpiredIdempotencyKeys>();
}

/// <summary>
/// Deletes the records of idempotency keys older than 24 hours, once an hour, so that the table holds about one
/// day of keys. Every node does it; deleting twice is harmless.
/// </summary>
public sealed class ExpiredIdempotencyKeys(IDocumentStore store, TimeProvider time, ILogger<ExpiredIdempotencyKeys> logger)
    : BackgroundService
{
    public static readonly TimeSpan Every = TimeSpan.FromHours(1);

    public async Task<int> PurgeAsync(CancellationToken token)
    {
        var before = time.GetUtcNow() - Idempotency.KeptFor;
        await using var session = store.LightweightSession();
        var expired = await session.Query<IdempotentRequest>().Where(x => x.CreatedAt < before).CountAsync(token);
        if (expired == 0) return 0;
        session.DeleteWhere<IdempotentRequest>(x => x.CreatedAt < before);
        await session.SaveChangesAsync(token);
        return expired;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Every, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                var purged = await PurgeAsync(stoppingToken);
                if (purged > 0) logger.LogInformation("Deleted {Count} expired idempotency keys", purged);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Could not delete expired idempotency keys; trying again in {Every}", Every);
            }
        }
    }
}
