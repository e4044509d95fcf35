using Catalog.Conventions;
using JasperFx;
using JasperFx.CodeGeneration;
using JasperFx.CodeGeneration.Frames;
using JasperFx.CodeGeneration.Model;
using Wolverine;
using Wolverine.Marten;
using Wolverine.Persistence;
using Wolverine.Runtime;

namespace Catalog.Http;

/// <summary>
/// A write that sends no message commits through a plain Marten session in the caller's account. Wolverine opens a
/// transactional endpoint's session (every write, and a read that loads a <c>[Document]</c>) through its outbox: a
/// message context, an envelope transaction enlisted in it, listeners on the session, and two flushes of an outbox that
/// stays empty here, since no endpoint sends anything (a webhook is queued by the event feed, Webhooks/WebhookFeed.cs,
/// not by the write). On create product that was 9% of the service's CPU (bench/README.md, "Seventh round"). An
/// endpoint that takes a message bus or context, or returns anything but its answer and its storage work, keeps
/// Wolverine's outboxed session: a message sent without it would go before the commit, and even on a rollback.
/// </summary>
public static class WriteSessions
{
    /// <summary>Applied after Wolverine's own policies have given the transactional endpoints their outboxed session.</summary>
    public static readonly IHttpPolicy WithoutAnOutbox = new Policy();

    /// <summary>
    /// The session of a write, in the caller's account (the tenant Wolverine's detection names, which also scopes the
    /// Idempotency-Key): what Wolverine's outboxed session is, without the outbox.
    /// </summary>
    public static IDocumentSession Open(IDocumentStore store, HttpContext context) =>
        store.LightweightSession(context.User.Tenant("a write"));

    private sealed class Policy : IHttpPolicy
    {
        public void Apply(IReadOnlyList<HttpChain> chains, GenerationRules rules, IServiceContainer container)
        {
            // Events forwarded to Wolverine's handlers, or appends tracked, ride listeners only the outboxed session gets.
            var runtime = container.GetInstance<IWolverineRuntime>();
            if (runtime.TryFindExtension<MartenIntegration>()?.UseFastEventForwarding == true
                || runtime.Options.Tracking.EnableEventAppendTracking) return;

            var writes = chains.Where(x => OpensAnOutboxedSession(x) && SendsNothing(x)).ToList();
            new EdgePolicy(_ => true, typeof(WriteSessions), nameof(Open)).Apply(writes, rules, container);
            foreach (var chain in writes)
            {
                chain.Postprocessors.RemoveAll(x => x is FlushOutgoingMessages);
                chain.Postprocessors.Add(new NothingToFlush());
            }
        }
    }

    /// <summary>Wolverine's Marten policies gave the chain a transaction: a session and a flush of its outbox after the commit.</summary>
    private static bool OpensAnOutboxedSession(HttpChain chain) => chain.Postprocessors.Any(x => x is FlushOutgoingMessages and not NothingToFlush);

    /// <summary>
    /// Nothing in the chain takes a message bus or returns messages to send, and the endpoint returns only its answer and
    /// storage work. Anything else keeps the outboxed session: a message sent outside it would go at once, before the
    /// commit, and even when the write rolls back.
    /// </summary>
    private static bool SendsNothing(HttpChain chain)
    {
        var calls = chain.Middleware.Concat(chain.Postprocessors).OfType<MethodCall>().Append(chain.Method).ToList();
        return !chain.RequiresOutbox()
               && !calls.SelectMany(x => x.Method.GetParameters()).Any(x => typeof(IMessageBus).IsAssignableFrom(x.ParameterType))
               && !calls.SelectMany(x => x.Creates).Any(x => typeof(OutgoingMessages).IsAssignableFrom(x.VariableType))
               && chain.Method.Creates.All(x => x.VariableType == chain.ResourceType || IsStorageWork(x.VariableType));
    }

    private static bool IsStorageWork(Type type) =>
        typeof(IMartenOp).IsAssignableFrom(type) || typeof(IEnumerable<IMartenOp>).IsAssignableFrom(type) || type == typeof(Events);

    /// <summary>Stands where Wolverine's flush of the outbox was, so that its policies add none: the outbox is not used.</summary>
    private sealed class NothingToFlush : FlushOutgoingMessages
    {
        public override IEnumerable<Variable> FindVariables(IMethodVariables chain) => [];

        public override void GenerateCode(GeneratedMethod method, ISourceWriter writer) => Next?.GenerateCode(method, writer);
    }
}
