using System.Reflection;
using Microsoft.AspNetCore.WebUtilities;

namespace Catalog.Conventions;

/// <summary>A single resource: <c>{"data": {...}}</c>.</summary>
public record Resource<T>(T Data);

/// <summary>
/// The entity tag of content the service answers the same each time (the OpenAPI document, the pages' assets): its
/// SHA-256, so that a client or cache sending it back in <c>If-None-Match</c> gets a 304.
/// </summary>
public static class EntityTags
{
    public static Microsoft.Net.Http.Headers.EntityTagHeaderValue Of(byte[] content) =>
        new($"\"{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(content))[..32]}\"");
}

/// <summary>A page of a list: <c>{"data": [...], "pagination": {"nextCursor", "hasMore"}}</c>.</summary>
public record Page<T>(IReadOnlyList<T> Data, PageInfo Pagination);

[SchemaName("Pagination")]
public record PageInfo(string? NextCursor, bool HasMore);

/// <summary>201 Created with <c>Location</c>; described as a <see cref="Resource{T}"/>, one type per resource for clients.</summary>
public record CreatedResource<T>(T Data) : Resource<T>(Data), IHttpAware where T : IHasLocation
{
    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder)
    {
        builder.Metadata.Add(new ProducesResponseTypeMetadata(201, typeof(Resource<T>), ["application/json"]));
    }

    void IHttpAware.Apply(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status201Created;
        context.Response.Headers.Location = Data.Location;
    }
}

public interface IHasLocation
{
    string Location { get; }
}

/// <summary>Collects field errors keyed by the field's name as the client sent it (camelCase).</summary>
public sealed class ValidationErrors
{
    private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

    public void Add(string field, string message)
    {
        if (!_errors.TryGetValue(field, out var list)) _errors[field] = list = [];
        list.Add(message);
    }

    public bool Any => _errors.Count > 0;

    /// <summary>400 problem details naming every bad field, or Wolverine's "no problems" to carry on.</summary>
    public ProblemDetails ToProblem() => Any
        ? Problems.Validation(_errors.ToDictionary(x => x.Key, x => x.Value.ToArray()))
        : WolverineContinue.NoProblems;
}

public static class Problems
{
    public static ProblemDetails Validation(IDictionary<string, string[]> errors, string? detail = null) =>
        new HttpValidationProblemDetails(errors)
        {
            Status = StatusCodes.Status400BadRequest,
            Title = "Invalid request",
            Detail = detail ?? "The request has invalid fields: " + string.Join(", ", errors.Keys) + ".",
            Type = TypeFor(StatusCodes.Status400BadRequest)
        };

    public static ProblemDetails Validation(string field, string message) =>
        Validation(new Dictionary<string, string[]> { [field] = [message] }, $"{field}: {message}");

    /// <summary>Rewords a 400 the framework wrote (Wolverine's) as ours: the field named, in the contract's words.</summary>
    public static void RewordAsValidation(ProblemDetails problem, string field, string message)
    {
        var ours = (HttpValidationProblemDetails)Validation(field, message);
        problem.Title = ours.Title;
        problem.Detail = ours.Detail;
        problem.Extensions["errors"] = ours.Errors;
    }

    public static ProblemDetails Status(int status, string detail, string? title = null) => new()
    {
        Status = status,
        Title = title ?? ReasonPhrases.GetReasonPhrase(status),
        Detail = detail,
        Type = TypeFor(status)
    };

    /// <summary>A refusal a client acts on by its <c>code</c> (SUSPENDED, MACHINE_LIMIT_REACHED, ...), not by its words.</summary>
    public static ProblemDetails Refusal(int status, string code, string detail)
    {
        var problem = Status(status, detail);
        problem.Extensions["code"] = code;
        return problem;
    }

    public static string TypeFor(int status) => status switch
    {
        400 => "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.1",
        401 => "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.2",
        403 => "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.4",
        404 => "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.5",
        405 => "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.6",
        406 => "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.7",
        408 => "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.9",
        409 => "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.10",
        413 => "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.14",
        415 => "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.16",
        422 => "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.21",
        429 => "https://www.rfc-editor.org/rfc/rfc6585#section-4",
        500 => "https://www.rfc-editor.org/rfc/rfc9110#section-15.6.1",
        503 => "https://www.rfc-editor.org/rfc/rfc9110#section-15.6.4",
        _ => "about:blank"
    };
}
