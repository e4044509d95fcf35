using Catalog.Conventions;
namespace Catalog.Http;

/// <summary>
/// The nil UUID (all zeros) names no resource: the service never issues it, and Marten refuses it as a
/// stream id with an exception. Answered 404 like any other id that names nothing.
/// </summary>
public sealed class NilIds(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context) =>
        context.Request.RouteValues.TryGetValue("id", out var id) && Guid.TryParse(id as string, out var guid) && guid == Guid.Empty
            ? Results.Problem(Problems.Status(404, "No such resource.")).ExecuteAsync(context)
            : next(context);
}
