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
/// opening it as it is read back. Wolverine also reads a claim through its message store when two requests with one
/// key race (the loser is answered from the winner's claim): that answer is opened on its way out by
/// <see cref="OpenedReplays"/>.
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
        Open(await inner.FindClaimAsync(session, deduplicationId, ancillaryStoreMarker, cancellation));

    public IQueryHandler<DeduplicatedResponseClaim?> ClaimQuery(IDocumentSession session, string? deduplicationId, Type? ancillaryStoreMarker) =>
        new OpeningHandler(inner.ClaimQuery(session, deduplicationId, ancillaryStoreMarker), Open);

    public void QueueClaim(IDocumentSession session, PendingDeduplicatedResponseClaim? claim, Type? ancillaryStoreMarker) =>
        inner.QueueClaim(session, claim?.Response is { Body: { } body } response
            ? claim with { Response = response with { Body = secrets.Seal(body, BoundTo) } }
            : claim, ancillaryStoreMarker);

    private DeduplicatedResponseClaim? Open(DeduplicatedResponseClaim? claim) =>
        claim?.Response is { Body: { } body } response && SecretBox.IsSealed(body)
            ? claim with { Response = response with { Body = secrets.OpenText(body, BoundTo) } }
            : claim;

    /// <summary>What every kept answer is sealed for (the replay that opens one on its way out cannot name its claim).</summary>
    public const string BoundTo = "idempotent-answer";

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

/// <summary>
/// The body of an answer to a keyed request, as it leaves: a kept answer Wolverine replays without passing through
/// <see cref="SealedAnswers"/> arrives sealed (<c>v2.</c>..., or <c>v1.</c>... from before rotation, never the start of a JSON answer), and is opened here.
/// Anything else passes straight through.
/// </summary>
public sealed class OpenedReplays(Stream inner, SecretBox secrets) : Stream
{
    private static readonly byte[][] Sealed = SecretBox.Prefixes.Select(System.Text.Encoding.ASCII.GetBytes).ToArray();
    private MemoryStream? _sealed;
    private bool _decided;

    private bool Holds(ReadOnlySpan<byte> first)
    {
        if (!_decided)
        {
            _decided = true;
            foreach (var prefix in Sealed)
                if (first.StartsWith(prefix)) _sealed = new MemoryStream();
        }
        return _sealed is not null;
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (Holds(buffer)) _sealed!.Write(buffer);
        else inner.Write(buffer);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken token) =>
        WriteAsync(buffer.AsMemory(offset, count), token).AsTask();

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken token = default)
    {
        if (!Holds(buffer.Span)) return inner.WriteAsync(buffer, token);
        _sealed!.Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    /// <summary>Writes the opened answer, when a sealed one was held back.</summary>
    public async Task CompleteAsync(CancellationToken token)
    {
        if (_sealed is null) return;
        var opened = secrets.Open(System.Text.Encoding.UTF8.GetString(_sealed.GetBuffer(), 0, (int)_sealed.Length), SealedAnswers.BoundTo);
        _sealed = null;
        await inner.WriteAsync(opened, token);
    }

    public override void Flush()
    {
        if (_sealed is null) inner.Flush();
    }

    public override Task FlushAsync(CancellationToken token) => _sealed is null ? inner.FlushAsync(token) : Task.CompletedTask;

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
