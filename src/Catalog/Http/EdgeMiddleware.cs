using JasperFx;
using JasperFx.CodeGeneration;
using JasperFx.CodeGeneration.Frames;

namespace Catalog.Http;

/// <summary>
/// A Wolverine middleware of the edge, on the chains it <paramref name="selects"/>: it runs before the endpoint's own
/// (loading, validation, idempotency), after the edge's policies added before it in Program.cs. A ProblemDetails it
/// returns ends the request.
/// </summary>
public sealed class EdgePolicy(Func<HttpChain, bool> selects, Func<HttpChain, MethodCall> call) : IHttpPolicy
{
    private const string Placed = "catalog.edge-middleware";

    public EdgePolicy(Func<HttpChain, bool> selects, Type type, string method) : this(selects, _ => new MethodCall(type, method)) { }

    public void Apply(IReadOnlyList<HttpChain> chains, GenerationRules rules, IServiceContainer container)
    {
        foreach (var chain in chains.Where(selects)) Place(chain, rules, call(chain));
    }

    private static void Place(HttpChain chain, GenerationRules rules, MethodCall call)
    {
        var at = chain.Tags.TryGetValue(Placed, out var placed) ? (int)placed : 0;
        var before = chain.Middleware.Count;
        chain.AddMiddleware(rules, call);
        var added = chain.Middleware.GetRange(before, chain.Middleware.Count - before);
        chain.Middleware.RemoveRange(before, added.Count);
        chain.Middleware.InsertRange(at, added);
        chain.Tags[Placed] = at + added.Count;
    }
}
