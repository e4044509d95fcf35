using JasperFx.CodeGeneration;
using JasperFx.CodeGeneration.Frames;
using Wolverine.Http;

namespace Catalog.Http;

/// <summary>
/// The edge's Wolverine middleware runs before the endpoint's own (its loading, validation and idempotency), in the
/// order the policies are added in Program.cs: each call places its method, and Wolverine's handling of what it
/// returns (a ProblemDetails stops the request), after the edge's earlier ones.
/// </summary>
public static class EdgeMiddleware
{
    private const string Placed = "catalog.edge-middleware";

    public static void AddEdgeMiddleware(this HttpChain chain, GenerationRules rules, MethodCall call)
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
