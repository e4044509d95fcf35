using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.Json;
using ProblemDetails = Microsoft.AspNetCore.Mvc.ProblemDetails;
using Microsoft.Extensions.Options;
using Wolverine.Http;

namespace Catalog.Infrastructure;

/// <summary>
/// The contract's rules for request bodies, checked once for every endpoint before Wolverine binds the body:
/// a JSON content type (415), at most 64 KiB (413), and a body that reads as the endpoint's request type (400
/// naming the field). Wolverine's own JSON reading only reports "Invalid JSON format"; reading the body here
/// first lets every error name its field. The body is kept in memory so later steps can read it again.
/// </summary>
public sealed partial class RequestBodies(RequestDelegate next, IOptions<JsonOptions> json)
{
    public const int MaxBytes = 64 * 1024;

    public async Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        var requestType = context.GetEndpoint()?.Metadata.GetMetadata<HttpChain>()?.RequestType;
        var expectsBody = requestType is not null && requestType != typeof(void);
        var bodyIsOptional = context.GetEndpoint()?.Metadata.GetMetadata<OptionalBodyAttribute>() is not null;
        var hasBody = request.ContentLength > 0 || (request.ContentLength is null && request.Headers.TransferEncoding.Count > 0);

        if (!hasBody && !expectsBody)
        {
            await next(context);
            return;
        }

        if (hasBody && !IsJson(request.ContentType))
        {
            await Reject(context, Problems.Status(415,
                $"Send the body as JSON with 'Content-Type: application/json' (got '{request.ContentType ?? "none"}')."));
            return;
        }

        if (request.ContentLength > MaxBytes)
        {
            await Reject(context, TooLarge());
            return;
        }

        var body = await ReadAtMost(request.Body, MaxBytes + 1, context.RequestAborted);
        if (body.Length > MaxBytes)
        {
            await Reject(context, TooLarge());
            return;
        }

        if (expectsBody && !(bodyIsOptional && body.Length == 0))
        {
            var problem = Check(body, requestType!, json.Value.SerializerOptions);
            if (problem is not null)
            {
                await Reject(context, problem);
                return;
            }
        }

        request.Body = new MemoryStream(body, writable: false);
        request.ContentLength = body.Length;
        await next(context);
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

    private static ProblemDetails? Check(byte[] body, Type requestType, JsonSerializerOptions options)
    {
        if (body.Length == 0) return Problems.Validation("body", "a JSON object is required");
        try
        {
            var value = JsonSerializer.Deserialize(body, requestType, options);
            return value is null ? Problems.Validation("body", "must be a JSON object") : null;
        }
        catch (JsonException e)
        {
            var (field, message) = Describe(e, requestType);
            return Problems.Validation(field, message);
        }
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

/// <summary>Marks an endpoint whose JSON body may be left out entirely (every field of it is optional).</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class OptionalBodyAttribute : Attribute;
