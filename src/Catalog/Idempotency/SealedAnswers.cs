using System.Data.Common;
using Catalog.Hosting;
using Marten;
using Marten.Linq.QueryHandlers;
using Weasel.Postgresql;
using Weasel.Storage;
using Wolverine.Marten;
using Wolverine.Persistence.Durability;

namespace Catalog.Idempotency;

/// <summary>
/// The answers kept for <c>Idempotency-Key</c> replays are stored sealed under the master key: the answer that
/// creates a webhook endpoint carries its secret, and 24 hours of it in clear in the database would undo sealing
/// the endpoint's own copy. Wraps Wolverine's store of the claims, sealing each answer's body as it is queued and
/// opening it as it is read back; each is bound to its claim's id, so one cannot be replayed as another's.
/// </summary>
public sealed class SealedAnswers(IMartenDeduplicatedResponses inner, SecretBox secrets) : IMartenDeduplicatedResponses
{
    /// <summary>Puts this decorator around the store Wolverine's Marten integration registered.</summary>
    public static IServiceCollection Around(IServiceCollection services)
    {
        var wolverines = services.LastOrDefault(x => x.ServiceType == typeof(IMartenDeduplicatedResponses))
                         ?? throw new InvalidOperationException("IntegrateWithWolverine() registers the answers' store: call it first");
        services.Remove(wolverines);
        services.AddSingleton<IMartenDeduplicatedResponses>(sp => new SealedAnswers(
            wolverines.ImplementationType is { } type
                ? (IMartenDeduplicatedResponses)ActivatorUtilities.CreateInstance(sp, type)
                : (IMartenDeduplicatedResponses)wolverines.ImplementationFactory!(sp),
            sp.GetRequiredService<SecretBox>()));
        return services;
    }

    public async Task<DeduplicatedResponseClaim?> FindClaimAsync(IDocumentSession session, string? deduplicationId, Type? ancillaryStoreMarker,
        CancellationToken cancellation) =>
        Open(await inner.FindClaimAsync(session, deduplicationId, ancillaryStoreMarker, cancellation), deduplicationId);

    public IQueryHandler<DeduplicatedResponseClaim?> ClaimQuery(IDocumentSession session, string? deduplicationId, Type? ancillaryStoreMarker) =>
        new OpeningHandler(inner.ClaimQuery(session, deduplicationId, ancillaryStoreMarker), claim => Open(claim, deduplicationId));

    public void QueueClaim(IDocumentSession session, PendingDeduplicatedResponseClaim? claim, Type? ancillaryStoreMarker) =>
        inner.QueueClaim(session, claim?.Response is { Body: { } body } response
            ? claim with { Response = response with { Body = secrets.Seal(body, BoundTo(claim.DeduplicationId)) } }
            : claim, ancillaryStoreMarker);

    private DeduplicatedResponseClaim? Open(DeduplicatedResponseClaim? claim, string? deduplicationId) =>
        claim?.Response is { Body: { } body } response && SecretBox.IsSealed(body)
            ? claim with { Response = response with { Body = secrets.OpenText(body, BoundTo(deduplicationId!)) } }
            : claim;

    private static string BoundTo(string deduplicationId) => "idempotent-answer:" + deduplicationId;

    private sealed class OpeningHandler(IQueryHandler<DeduplicatedResponseClaim?> inner, Func<DeduplicatedResponseClaim?, DeduplicatedResponseClaim?> open)
        : IQueryHandler<DeduplicatedResponseClaim?>
    {
        public void ConfigureCommand(ICommandBuilder builder, IStorageSession session) => inner.ConfigureCommand(builder, session);

        public async Task<DeduplicatedResponseClaim?> HandleAsync(DbDataReader reader, IStorageSession session, CancellationToken token) =>
            open(await inner.HandleAsync(reader, session, token));

        public Task<int> StreamJson(Stream stream, DbDataReader reader, CancellationToken token) =>
            throw new NotSupportedException("A claim is read as an object, never streamed as JSON");
    }
}
