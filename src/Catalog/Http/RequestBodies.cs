using System.Reflection;
using System.Text.RegularExpressions;
using Catalog.Conventions;
using JasperFx.CodeGeneration.Frames;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Features;

namespace Catalog.Http;

/// <summary>
/// The contract's request bodies: JSON (else 415) of at most 64 KiB (else 413); an endpoint that needs one refuses none
/// or a literal null (400). Held in memory for Wolverine to read once, and for <see cref="Repeats"/> to read again. Not
/// Kestrel's <c>MaxRequestBodySize</c> alone: Wolverine answers the exception it throws mid-read as a bare 400.
/// </summary>
public static partial class RequestBodies
{
    public const int MaxBytes = 64 * 1024;

    /// <summary>
    /// Kestrel's cap, well above <see cref="MaxBytes"/>: Kestrel reads the rest of a body a little over the limit after
    /// the 413. At the contract's limit it dropped the connection instead, and a client still sending lost the 413.
    /// </summary>
    public const int KestrelMaxBytes = 1024 * 1024;

    /// <summary>The title Wolverine gives the 400 it answers when the body does not deserialize.</summary>
    private const string WolverineJsonTitle = "Invalid JSON format";

    /// <summary>Every endpoint that is not a GET: <see cref="Required"/> when its request type is not nullable.</summary>
    public static readonly IHttpPolicy OnEveryBody = new EdgePolicy(x => !x.HttpMethods.Contains("GET"), chain =>
        new MethodCall(typeof(RequestBodies), chain.HasRequestType
            && chain.Method.Method.GetParameters().FirstOrDefault(x => x.ParameterType == chain.RequestType) is { } body
            && new NullabilityInfoContext().Create(body).ReadState != NullabilityState.Nullable ? nameof(Required) : nameof(Optional)));

    public static Task<ProblemDetails> Required(HttpContext context) => Hold(context, required: true);

    public static Task<ProblemDetails> Optional(HttpContext context) => Hold(context, required: false);

    private static async Task<ProblemDetails> Hold(HttpContext context, bool required)
    {
        var request = context.Request;
        // A body may come without Content-Length (chunked, or HTTP/2 and 3): whether there is one is known only by reading.
        var mayHaveBody = request.ContentLength > 0
                          || (request.ContentLength is null && context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody != false);
        if (request.ContentLength > 0 && !IsJson(request.ContentType)) return NotJson(request);
        if (request.ContentLength > MaxBytes) return TooLarge;

        var body = mayHaveBody ? await ReadAtMost(request.Body, MaxBytes + 1, context.RequestAborted) : [];
        if (body.Length > MaxBytes) return TooLarge;
        if (body.Length > 0 && !IsJson(request.ContentType)) return NotJson(request);
        // Wolverine would hand the endpoint no request at all: a body it needs is refused here.
        if (required && (body.Length == 0 || StartsWithNull(body)))
            return Problems.Validation("body", body.Length == 0 ? "a JSON object is required" : "must be a JSON object");

        request.Body = new MemoryStream(body, writable: false);
        request.ContentLength = body.Length;
        return WolverineContinue.NoProblems;
    }

    private static ProblemDetails NotJson(HttpRequest request) => Problems.Status(415,
        $"Send the body as JSON with 'Content-Type: application/json' (got '{request.ContentType ?? "none"}').");

    public static ProblemDetails TooLarge => Problems.Status(413, $"The request body is larger than {MaxBytes / 1024} KiB.");

    private static bool IsJson(string? contentType) =>
        contentType is not null && (contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase)
                                    || (contentType.StartsWith("application/", StringComparison.OrdinalIgnoreCase)
                                        && contentType.Split(';')[0].EndsWith("+json", StringComparison.OrdinalIgnoreCase)));

    /// <summary>The body's first JSON token is null (after a byte-order mark and white space): one token read, not a parse.</summary>
    private static bool StartsWithNull(byte[] body)
    {
        var reader = new Utf8JsonReader(body.AsSpan().StartsWith("\uFEFF"u8) ? body.AsSpan(3) : body);
        try
        {
            return reader.Read() && reader.TokenType == JsonTokenType.Null;
        }
        catch (JsonException)
        {
            return false; // not JSON: Wolverine's reading refuses it, naming the field
        }
    }

    private static async Task<byte[]> ReadAtMost(Stream stream, int limit, CancellationToken token)
    {
        var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while (buffer.Length < limit && (read = await stream.ReadAsync(chunk, token)) > 0)
            buffer.Write(chunk, 0, read);
        return buffer.ToArray();
    }

    /// <summary>
    /// Wolverine's 400 for a body that does not deserialize holds System.Text.Json's message (.NET type names, the
    /// field's path): reworded from it and the request type, without reading the body again.
    /// </summary>
    public static void DescribeRefusedBody(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        if (problem.Status != 400 || problem.Title != WolverineJsonTitle) return;
        var requestType = context.HttpContext.GetEndpoint()?.Metadata.GetMetadata<HttpChain>()?.RequestType;
        var (field, message) = Describe(problem.Detail ?? "", requestType);
        Problems.RewordAsValidation(problem, field, message);
    }

    /// <summary>The field a System.Text.Json message names and what it must be, without .NET names.</summary>
    public static (string Field, string Message) Describe(string error, Type? requestType)
    {
        var path = JsonPath().Match(error) is { Success: true } found ? found.Groups[1].Value : "$";
        var field = path is "$" or "" ? "body" : path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');
        // Two messages name the property but give no path (a property of the body itself, as every request type is flat).
        var named = NamedProperty().Match(error);
        if (named.Success) field = named.Groups[2].Value;
        if (error.Contains("does not contain any JSON tokens", StringComparison.Ordinal)) return (field, "a JSON object is required");
        if (named.Success) return (field, named.Groups[1].Value.StartsWith("Duplicate") ? "appears more than once" : "is not a known field");
        if (error.Contains("maximum configured depth", StringComparison.Ordinal)) return (field, "is nested too deeply");
        // The type named is the field's own, or (for a record read through its constructor) the request's.
        if (ConvertedTo().IsMatch(error)) return (field, "must be " + Friendly(TypeAt(requestType, field)));
        return (field, "is not valid JSON");
    }

    /// <summary>The .NET type a field of the request binds to, following properties and dictionary values.</summary>
    private static Type? TypeAt(Type? type, string field)
    {
        if (field == "body") return type;
        foreach (var segment in field.Split('.'))
        {
            if (type is null) return null;
            type = Unwrap(type);
            type = type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Dictionary<,>)
                ? type.GetGenericArguments()[1]
                : type.GetProperty(segment, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase)?.PropertyType;
        }
        return type is null ? null : Unwrap(type);
    }

    private static Type Unwrap(Type type)
    {
        while (type.IsGenericType && (type.GetGenericTypeDefinition() == typeof(Nullable<>) || type.GetGenericTypeDefinition() == typeof(Optional<>)))
            type = type.GetGenericArguments()[0];
        return type;
    }

    private static string Friendly(Type? type) => type switch
    {
        null => "of another type",
        _ when type == typeof(string) => "a string of valid Unicode text",
        _ when type == typeof(Guid) => "a UUID string",
        _ when type == typeof(DateTimeOffset) || type == typeof(DateTime) => "an ISO 8601 timestamp with a time zone, e.g. 2026-01-10T08:00:00.000Z",
        _ when type == typeof(int) || type == typeof(long) => "an integer",
        _ when type == typeof(bool) => "a boolean",
        _ when type == typeof(JsonElement) => "a JSON value",
        _ when type.IsArray || (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>)) => "an array",
        _ => "a JSON object"
    };

    [GeneratedRegex(@"Path: (\$[^ ]*) \|")]
    private static partial Regex JsonPath();

    [GeneratedRegex(@"^(Duplicate property|The JSON property) '(.*?)' (encountered|could not be mapped)")]
    private static partial Regex NamedProperty();

    [GeneratedRegex(@"could not be converted to ")]
    private static partial Regex ConvertedTo();

    /// <summary>Wolverine logs a body that does not deserialize as an Error under the request type's name: a client's mistake.</summary>
    public static ILoggingBuilder QuietClientJsonMistakes(this ILoggingBuilder logging, Assembly endpoints)
    {
        var requestBodies = endpoints.GetTypes()
            .SelectMany(x => x.GetMethods(BindingFlags.Public | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly))
            .Where(x => x.GetCustomAttribute<WolverineHttpMethodAttribute>() is not null)
            .SelectMany(x => x.GetParameters())
            .Where(x => x.ParameterType.Assembly == endpoints && !x.GetCustomAttributes().Any())
            .Select(x => x.ParameterType)
            .Distinct();
        foreach (var type in requestBodies) logging.AddFilter(type.FullName, LogLevel.Critical);
        return logging;
    }
}

/// <summary>
/// A body Kestrel gave up reading is the client's doing, answered with Kestrel's own status, never a 500 and an error
/// in the log: one that arrives too slowly (408, <c>MinRequestBodyDataRate</c>), one cut short or badly chunked (400),
/// one over Kestrel's cap (413: Wolverine's idempotency fingerprint reads a keyed POST's body first). Handled here,
/// ASP.NET records no diagnostics for it; the request log still has its line. Any other status stays the 500 it was:
/// only these three are known to be the client's.
/// </summary>
public sealed class UnreadableBodies(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken token)
    {
        if (exception.Find<BadHttpRequestException>() is not { } unreadable) return false;
        var problem = unreadable.StatusCode switch
        {
            StatusCodes.Status413PayloadTooLarge => RequestBodies.TooLarge,
            StatusCodes.Status408RequestTimeout => Problems.Status(408, "The request body arrived too slowly; send it again."),
            StatusCodes.Status400BadRequest => Problems.Status(400, "The request body could not be read: it ended before its Content-Length, or its chunked encoding is malformed."),
            _ => null
        };
        if (problem is null) return false;
        context.Response.StatusCode = problem.Status!.Value;
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem, Exception = exception });
    }
}
