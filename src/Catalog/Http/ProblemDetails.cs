using Catalog.Conventions;

namespace Catalog.Http;

/// <summary>Every error leaves as RFC 9457 problem details; Wolverine's own 400s reworded to name the field.</summary>
public static class ErrorHandling
{
    /// <summary>What every endpoint shares: the API's JSON for Wolverine and ASP.NET Core, problem details, the clock.</summary>
    public static IServiceCollection AddApiConventions(this IServiceCollection services)
    {
        services.AddSingleton(TimeProvider.System);
        services.ConfigureSystemTextJsonForWolverineOrMinimalApi(json => ApiJson.Configure(json.SerializerOptions));
        services.AddLogging(logging => logging.QuietClientJsonMistakes(typeof(ErrorHandling).Assembly));
        services.AddExceptionHandler<UnreadableBodies>();
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
        415 => "Send the body as JSON with 'Content-Type: application/json'.",
        405 => "This method is not allowed on this resource.",
        406 => "This resource answers only application/json.",
        _ => Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status)
    };
}
