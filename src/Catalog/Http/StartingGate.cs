using Catalog.Conventions;
using Catalog.Hosting;

namespace Catalog.Http;

/// <summary>
/// Until messaging and the event feeds have started (the database was away at start: Hosting/StartWithoutDatabase.cs),
/// every endpoint answers 503 with Retry-After: nothing could be stored or sent.
/// </summary>
public static class StartingGate
{
    public static readonly IHttpPolicy OnEveryEndpoint = new EdgePolicy(_ => true, typeof(StartingGate), nameof(Check));

    public static ProblemDetails Check(DatabaseServices services, HttpContext context)
    {
        if (services.Started) return WolverineContinue.NoProblems;
        context.Response.Headers.RetryAfter = "1";
        return Problems.Status(503, "The service is starting: its database cannot be reached yet.");
    }
}
