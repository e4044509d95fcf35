using Catalog.Conventions;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace Catalog.Http;

/// <summary>
/// Every error leaves the service as RFC 9457 problem details: status pages for empty error responses
/// (404 from a missing aggregate, 405), Wolverine's own answers reworded to name the field, and one exception
/// handler for a database that is away. What reaches the end of it unmapped is a bug, answered as a 500.
/// </summary>
public static class ErrorHandling
{
    public static IServiceCollection AddCatalogProblemDetails(this IServiceCollection services)
    {
        services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
        {
            var problem = context.ProblemDetails;
            var status = problem.Status ?? context.HttpContext.Response.StatusCode;
            problem.Status = status;
            RequestBodies.DescribeRefusedBody(context);
            Pagination.DescribeUnparseableQueryValue(context);
            // The framework's own type links (tools.ietf.org, httpstatuses.com) become the RFC 9110 sections we use.
            problem.Type = problem.Type is null || !problem.Type.StartsWith("https://www.rfc-editor.org", StringComparison.Ordinal)
                ? Problems.TypeFor(status)
                : problem.Type;
            problem.Detail ??= DefaultDetail(status);
            problem.Instance = null;
            problem.Extensions.Remove("lineNumber");
            problem.Extensions.Remove("bytePositionInLine");
        });
        return services;
    }

    private static string DefaultDetail(int status) => status switch
    {
        404 => "No such resource.",
        405 => "This method is not allowed on this resource.",
        406 => "This resource answers only application/json.",
        _ => Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status)
    };
}
