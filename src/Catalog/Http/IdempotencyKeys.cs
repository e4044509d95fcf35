using Catalog.Conventions;
using Catalog.Hosting;
using JasperFx;
using JasperFx.CodeGeneration;
using JasperFx.Core.Reflection;
using Microsoft.AspNetCore.Mvc;
using Wolverine;
using Wolverine.Http;

namespace Catalog.Http;

/// <summary>
/// <c>Idempotency-Key</c>, as Stripe has it, from Wolverine's own <c>[DeduplicatedWithResponse]</c>: the same key with
/// the same request (method, path, query and body bytes) within 24 hours answers the first answer (status,
/// <c>Location</c>, body) without running the endpoint; with another request it is a 422. Keys are per account (the
/// tenant) and, within it, per credential (the API key, or the license key): a replay answers only the credential that
/// made the answer, so a key with fewer scopes can never be handed what it could not have done itself. The claim and
/// the stored answer are written in the endpoint's own Marten transaction, so a keyed request costs no extra
/// transaction, and a repeat racing the first one loses at commit and is answered with the winner's answer. An answer
/// of 400 or above is not kept: the key stays free, as at Stripe. Stored answers never hold a secret: the one endpoint
/// whose answer shows one keeps its key itself (<see cref="KeepsItsIdempotencyKeyAttribute"/>).
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

/// <summary>
/// A POST that is idempotent without a key (a machine's activation is keyed by its fingerprint) and comes from the
/// software vendors ship: keys are kept per account, and one account's many installations must not share them.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class IdempotentByNatureAttribute : Attribute;

/// <summary>
/// A POST whose answer shows a secret (a webhook endpoint's): rather than have Wolverine store the answer, the endpoint
/// keeps the <c>Idempotency-Key</c> on what it made and answers a repeat from it, checking the key itself.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class KeepsItsIdempotencyKeyAttribute : Attribute;

/// <summary>
/// Every POST that changes something takes a key; a read sent as POST does not, nor one idempotent by nature. With
/// shards the claim cannot be written in the endpoint's transaction (that commits in the account's shard, the claims
/// are kept in the directory database): Wolverine then claims the key before the work and records the answer after
/// it, its way for a store over several databases. That code differs, and is generated apart (Hosting/Database.cs).
/// Before Wolverine looks the key up, <see cref="Repeats"/> checks it.
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
/// What the contract asks beyond Wolverine's deduplication: keys of 1-255 printable characters (else 400 naming the
/// header), and <c>Idempotent-Replayed: true</c> on an answer that is a stored one rather than this request's own
/// work. Wolverine marks a request whose own claim committed; any other success on a keyed endpoint was replayed.
/// Checked before the endpoint (<see cref="Repeats"/>): Wolverine's generated code looks the key up, and answers a
/// repeat, before any middleware of ours.
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

    /// <summary>
    /// Whether this request's own work committed (else a success is a stored answer). Claimed in the endpoint's
    /// transaction, Wolverine marks the claim's commit; claimed apart (shards), the answer is recorded only after the
    /// work committed, and a replay never does the work.
    /// </summary>
    private static bool OwnWorkCommitted(HttpContext context, bool claimedInTransaction) =>
        HttpHandler.IsDeduplicatedResponseCommitted(context)
        || !claimedInTransaction && HttpHandler.IsDeduplicatedWorkDone(context);
}
