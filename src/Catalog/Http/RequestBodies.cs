using Catalog.Conventions;
using System.Reflection;
using Microsoft.AspNetCore.Http.Features;
using System.Text.Json;
using System.Text.RegularExpressions;
using ProblemDetails = Microsoft.AspNetCore.Mvc.ProblemDetails;
using Wolverine.Http;

namespace Catalog.Http;

/// <summary>
/// The contract's rules for request bodies, before Wolverine binds them: a JSON content type (415) and at most
/// 64 KiB (413). The body is buffered in memory (so Wolverine's idempotency fingerprint and a contention retry can
/// read it again) but not parsed here: Wolverine deserializes it once, into the endpoint's request type.
/// </summary>
public sealed partial class RequestBodies(RequestDelegate next)
{
    public const int MaxBytes = 64 * 1024;

    /// <summary>The title Wolverine gives the 400 it answers when the body does not deserialize.</summary>
    private const string WolverineJsonTitle = "Invalid JSON format";

    public async Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        // A body may come without Content-Length (chunked, or HTTP/2 and 3): whether there is one is known only by reading.
        var mayHaveBody = request.ContentLength > 0
                          || (request.ContentLength is null && context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody != false);
        if (mayHaveBody && request.ContentLength > 0 && !IsJson(request.ContentType))
        {
            await Reject(context, NotJson(request));
            return;
        }
        if (request.ContentLength > MaxBytes)
        {
            await Reject(context, TooLarge());
            return;
        }

        var body = mayHaveBody ? await ReadAtMost(request.Body, MaxBytes + 1, context.RequestAborted) : [];
        if (body.Length > MaxBytes)
        {
            await Reject(context, TooLarge());
            return;
        }
        if (body.Length > 0 && !IsJson(request.ContentType))
        {
            await Reject(context, NotJson(request));
            return;
        }

        // No body, or the literal null: an optional body binds null; a required one is refused here, as Wolverine
        // would otherwise hand the endpoint no request at all.
        if ((body.Length == 0 || IsJsonNull(body)) && RequiresBody(context))
        {
            await Reject(context, Problems.Validation("body", body.Length == 0 ? "a JSON object is required" : "must be a JSON object"));
            return;
        }

        request.Body = new MemoryStream(body, writable: false);
        request.ContentLength = body.Length;
        await next(context);
    }

    private static ProblemDetails NotJson(HttpRequest request) => Problems.Status(415,
        $"Send the body as JSON with 'Content-Type: application/json' (got '{request.ContentType ?? "none"}').");

    /// <summary>The body's first JSON token is null (after any byte-order mark and white space, as the deserializer reads it).</summary>
    private static bool IsJsonNull(byte[] body)
    {
        var reader = new Utf8JsonReader(body.AsSpan().StartsWith("\uFEFF"u8) ? body.AsSpan(3) : body, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
        try
        {
            return reader.Read() && reader.TokenType == JsonTokenType.Null;
        }
        catch (JsonException)
        {
            return false; // not JSON: Wolverine's reading refuses it, naming the field
        }
    }

    /// <summary>The endpoint binds a request body that is not declared nullable (optional).</summary>
    private static bool RequiresBody(HttpContext context)
    {
        if (context.GetEndpoint()?.Metadata.GetMetadata<HttpChain>() is not { HasRequestType: true, RequestType: { } type } chain) return false;
        var parameter = chain.Method.Method.GetParameters().FirstOrDefault(x => x.ParameterType == type);
        return parameter is null || new NullabilityInfoContext().Create(parameter).ReadState != NullabilityState.Nullable;
    }

    /// <summary>
    /// Wolverine answers a body that does not deserialize with a 400 whose detail is System.Text.Json's message
    /// (.NET type names, no field). Only then is the buffered body read a second time, to name the field the client
    /// sent and say what it must be, in the contract's words.
    /// </summary>
    public static void DescribeRefusedBody(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        if (problem.Status != 400 || problem.Title != WolverineJsonTitle) return;
        var requestType = context.HttpContext.GetEndpoint()?.Metadata.GetMetadata<HttpChain>()?.RequestType;
        if (requestType is null) return;

        var (field, message) = ("body", "a JSON object is required");
        if (context.HttpContext.Request.Body is MemoryStream { Length: > 0 } body)
        {
            try
            {
                body.Position = 0;
                JsonSerializer.Deserialize(body, requestType, ApiJson.Options);
                (field, message) = ("body", "is not valid JSON");
            }
            catch (JsonException e)
            {
                (field, message) = Describe(e, requestType);
            }
        }

        Problems.RewordAsValidation(problem, field, message);
    }

    private static ProblemDetails TooLarge() =>
        Problems.Status(413, $"The request body is larger than {MaxBytes / 1024} KiB.");

    private static bool IsJson(string? contentType) =>
        contentType is not null && (contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase)
                                    || (contentType.StartsWith("application/", StringComparison.OrdinalIgnoreCase)
                                        && contentType.Split(';')[0].EndsWith("+json", StringComparison.OrdinalIgnoreCase)));

    private static async Task<byte[]> ReadAtMost(Stream stream, int limit, CancellationToken token)
    {
        var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while (buffer.Length < limit && (read = await stream.ReadAsync(chunk, token)) > 0)
            buffer.Write(chunk, 0, read);
        return buffer.ToArray();
    }

    private static Task Reject(HttpContext context, ProblemDetails problem) =>
        Results.Problem(problem).ExecuteAsync(context);

    /// <summary>Turns a System.Text.Json error into the field the client sent and a message without .NET names.</summary>
    public static (string Field, string Message) Describe(JsonException e, Type requestType)
    {
        var field = FieldOf(e.Path);
        var message = e.Message;

        if (message.StartsWith("must ", StringComparison.Ordinal)) return (field, message);
        if (UnmappedProperty().IsMatch(message)) return (field, "is not a known field");
        if (message.Contains("uplicate propert", StringComparison.Ordinal)) return (field, "appears more than once");
        if (message.Contains("maximum configured depth", StringComparison.Ordinal)) return (field, "is nested too deeply");
        if (e.InnerException?.Message.Contains("UTF-16", StringComparison.Ordinal) == true)
            return (field, "must be valid Unicode text (no unpaired surrogates)");
        if (message.Contains("could not be converted", StringComparison.Ordinal))
            return (field, "must be " + Friendly(TypeAt(requestType, field)));

        return (field, "is not valid JSON");
    }

    private static string FieldOf(string? path)
    {
        if (string.IsNullOrEmpty(path) || path == "$") return "body";
        var field = path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');
        return field.Length == 0 ? "body" : field;
    }

    /// <summary>The .NET type a field of the request binds to, following properties and dictionary values.</summary>
    private static Type? TypeAt(Type root, string field)
    {
        if (field == "body") return root;
        Type? type = root;
        foreach (var segment in field.Split('.'))
        {
            type = Unwrap(type!);
            if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Dictionary<,>))
                type = type.GetGenericArguments()[1];
            else
                type = type.GetProperty(segment, System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance
                                                 | System.Reflection.BindingFlags.IgnoreCase)?.PropertyType;
            if (type is null) return null;
        }
        return Unwrap(type!);
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
        _ when type == typeof(string) => "a string",
        _ when type == typeof(Guid) => "a UUID string",
        _ when type == typeof(DateTimeOffset) || type == typeof(DateTime) => "an ISO 8601 timestamp string",
        _ when type == typeof(int) || type == typeof(long) => "an integer",
        _ when type == typeof(bool) => "a boolean",
        _ when type == typeof(JsonElement) => "a JSON value",
        _ when type.IsArray || (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>)) => "an array",
        _ => "a JSON object"
    };

    [GeneratedRegex(@"The JSON property '(.*)' could not be mapped")]
    private static partial Regex UnmappedProperty();

}

/// <summary>
/// Wolverine logs every body that does not deserialize as an Error, with a stack trace, under the request type's
/// name. That is a client's mistake, answered with a 400 that names the field, not a fault of the service: those
/// categories log only Critical. (Wolverine's rarer 500 for a body its own serializer fails on is logged there too;
/// the request log line still shows the 500.)
/// </summary>
public static class ClientJsonMistakes
{
    public static ILoggingBuilder QuietClientJsonMistakes(this ILoggingBuilder logging, Assembly endpoints)
    {
        foreach (var type in RequestBodyTypes(endpoints)) logging.AddFilter(type.FullName, LogLevel.Critical);
        return logging;
    }

    /// <summary>The types an HTTP endpoint binds without an attribute from this assembly: its request bodies.</summary>
    private static IEnumerable<Type> RequestBodyTypes(Assembly endpoints) =>
        endpoints.GetTypes()
            .SelectMany(x => x.GetMethods(BindingFlags.Public | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly))
            .Where(x => x.GetCustomAttribute<WolverineHttpMethodAttribute>() is not null)
            .SelectMany(x => x.GetParameters())
            .Where(x => x.ParameterType.Assembly == endpoints && !x.GetCustomAttributes().Any())
            .Select(x => x.ParameterType)
            .Distinct();
}
