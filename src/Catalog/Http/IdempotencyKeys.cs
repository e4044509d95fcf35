using Catalog.Conventions;
using JasperFx;
using JasperFx.CodeGeneration;
using JasperFx.Core.Reflection;
using Wolverine;

namespace Catalog.Http;

/// <summary>
/// <c>Idempotency-Key</c> as Stripe has it, by Wolverine's <c>[DeduplicatedWithResponse]</c>: the same key and request
/// (method, path, query, body) within 24 hours answers the first answer without running the endpoint; another request
/// is a 422. Keys are per account and credential, so a narrower key is never handed what it could not have done. The
/// claim commits in the endpoint's own transaction: a racing repeat loses at commit and gets the winner's answer.
/// Answers of 400 and above are not kept. No stored answer holds a secret (<see cref="KeepsItsIdempotencyKeyAttribute"/>).
/// </summary>
public static class IdempotencyConfiguration
{
    public const string Header = "Idempotency-Key";
    public const string Replayed = "Idempotent-Replayed";
    public const int MaxLength = 255;
    public static readonly TimeSpan KeptFor = TimeSpan.FromHours(24);

    /// <summary>A key is 1-255 printable characters: else a 400 naming the header.</summary>
    public static ProblemDetails? Refusal(string key) =>
        key.Length > MaxLength || key.Any(char.IsControl)
            ? Problems.Validation(Header, $"must be 1-{MaxLength} printable characters")
            : null;

    /// <summary>The same key with another request (or, for endpoints that keep their own keys, after 24 hours): 422.</summary>
    public static ProblemDetails KeyReused => Problems.Status(422,
        $"This {Header} was already used with another request, or more than 24 hours ago; a key may be reused only with the same request, within 24 hours.");

    /// <summary>The claims table (wolverine_deduplicated_responses), kept 24 hours and cleaned up by Wolverine.</summary>
    public static WolverineOptions UseIdempotencyKeys(this WolverineOptions options)
    {
        options.Durability.EnableDeduplicatedResponses = true;
        options.Durability.DeduplicationWindow = KeptFor;
        return options;
    }
}

/// <summary>A POST that only reads (license validation): it ignores <c>Idempotency-Key</c>.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ReadSentAsPostAttribute : Attribute;

/// <summary>A POST whose repeat does no more than the first (an activation, by its fingerprint): it needs no key.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class IdempotentByNatureAttribute : Attribute;

/// <summary>A POST whose answer shows a secret: it keeps its <c>Idempotency-Key</c> on what it made and answers a repeat itself.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class KeepsItsIdempotencyKeyAttribute : Attribute;

/// <summary>
/// Every POST that changes something takes a key. With shards the claims live in the directory, not the account's
/// shard: Wolverine claims the key before the work and records the answer after it (code generated apart).
/// </summary>
public sealed class IdempotentPosts(bool claimInTransaction) : IHttpPolicy
{
    public void Apply(IReadOnlyList<HttpChain> chains, GenerationRules rules, IServiceContainer container)
    {
        foreach (var chain in chains.Where(x => x.HttpMethods.Contains("POST") && !x.Method.Method.HasAttribute<ReadSentAsPostAttribute>()
                                             && !x.Method.Method.HasAttribute<IdempotentByNatureAttribute>()
                                             && !x.Method.Method.HasAttribute<KeepsItsIdempotencyKeyAttribute>()))
        {
            chain.DeduplicatedWithResponse = new DeduplicatedWithResponseRequirement
            {
                Scope = DeduplicationScope.Tenant | DeduplicationScope.User, Required = false, ClaimInTransaction = claimInTransaction
            };
        }
    }
}

/// <summary>
/// What the contract adds to Wolverine's deduplication: a key's form (400), and <c>Idempotent-Replayed: true</c> on a
/// stored answer. Checked in <see cref="Repeats"/>: Wolverine answers a repeat before any middleware of ours.
/// </summary>
public static class IdempotencyKeyHeader
{
    /// <summary>A refusal of the request's key, or null to go on; a success not of this request's own work is marked.</summary>
    public static ProblemDetails? Check(HttpContext context, DeduplicatedWithResponseRequirement keyed)
    {
        var key = context.Request.Headers[IdempotencyConfiguration.Header].ToString();
        if (key.Length == 0) return null;
        if (IdempotencyConfiguration.Refusal(key) is { } refusal) return refusal;
        context.Response.OnStarting(() =>
        {
            if (context.Response.StatusCode < 400 && !OwnWorkCommitted(context, keyed.ClaimInTransaction))
                context.Response.Headers[IdempotencyConfiguration.Replayed] = "true";
            return Task.CompletedTask;
        });
        return null;
    }

    /// <summary>Whether this request's own work committed (else a success is a stored answer).</summary>
    private static bool OwnWorkCommitted(HttpContext context, bool claimedInTransaction) =>
        HttpHandler.IsDeduplicatedResponseCommitted(context)
        || !claimedInTransaction && HttpHandler.IsDeduplicatedWorkDone(context);
}
