using Catalog.Conventions;
using JasperFx;
using JasperFx.CodeGeneration;
using JasperFx.CodeGeneration.Frames;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace Catalog.Http;

/// <summary>
/// The nil UUID (all zeros) names no resource: the service never issues it, and Marten refuses it as a stream id with
/// an exception. Answered 404 like any other id that names nothing, before anything is loaded.
/// </summary>
public static class NilIds
{
    public static ProblemDetails Refuse(HttpContext context) =>
        context.Request.RouteValues.TryGetValue("id", out var id) && Guid.TryParse(id as string, out var guid) && guid == Guid.Empty
            ? Problems.Status(404, "No such resource.")
            : WolverineContinue.NoProblems;
}

/// <summary>Every endpoint with an <c>{id}</c> in its route refuses the nil one.</summary>
public sealed class NilIdsNameNothing : IHttpPolicy
{
    public void Apply(IReadOnlyList<HttpChain> chains, GenerationRules rules, IServiceContainer container)
    {
        foreach (var chain in chains.Where(x => x.RoutePattern?.GetParameter("id") is not null))
            chain.AddEdgeMiddleware(rules, new MethodCall(typeof(NilIds), nameof(NilIds.Refuse)));
    }
}
