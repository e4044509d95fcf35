using Catalog.Conventions;
using Catalog.Hosting;
using JasperFx;
using JasperFx.CodeGeneration;
using JasperFx.CodeGeneration.Frames;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace Catalog.Http;

/// <summary>
/// Until messaging and the event feeds have started (the database was away when the service started:
/// Hosting/StartWithoutDatabase.cs), every endpoint answers 503 with Retry-After: nothing could be stored or sent.
/// </summary>
public static class StartingGate
{
    public static ProblemDetails Check(DatabaseServices services, HttpContext context)
    {
        if (services.Started) return WolverineContinue.NoProblems;
        context.Response.Headers.RetryAfter = "1";
        return Problems.Status(503, "The service is starting: its database cannot be reached yet.");
    }
}

/// <summary>Every endpoint waits behind <see cref="StartingGate"/>.</summary>
public sealed class EndpointsWaitForStart : IHttpPolicy
{
    public void Apply(IReadOnlyList<HttpChain> chains, GenerationRules rules, IServiceContainer container)
    {
        foreach (var chain in chains) chain.AddEdgeMiddleware(rules, new MethodCall(typeof(StartingGate), nameof(StartingGate.Check)));
    }
}
