using Catalog.Conventions;

namespace Catalog.Http;

/// <summary>
/// The nil UUID names no resource: the service never issues it, and Marten throws on it as a stream id. An endpoint with
/// an <c>{id}</c> answers it 404, before anything is loaded.
/// </summary>
public static class NilIds
{
    public static readonly IHttpPolicy NameNothing =
        new EdgePolicy(x => x.RoutePattern?.GetParameter("id") is not null, typeof(NilIds), nameof(Refuse));

    public static ProblemDetails Refuse(HttpContext context) =>
        context.Request.RouteValues.TryGetValue("id", out var id) && Guid.TryParse(id as string, out var guid) && guid == Guid.Empty
            ? Problems.Status(404, "No such resource.")
            : WolverineContinue.NoProblems;
}
