using System.Text.Json;
using System.Text.Json.Nodes;
using Catalog.Conventions;
using Catalog.Hosting;

namespace Catalog.Webhooks;

/// <summary>
/// Marks an endpoint whose answer carries a secret sealed under the master key (<c>data.secret</c>), opened only as
/// the answer leaves the service (<see cref="RevealedSecrets"/>). What Wolverine keeps of the answer for
/// <c>Idempotency-Key</c> replays therefore holds the secret sealed, whichever way it keeps it (in the endpoint's
/// transaction on one database; in the directory, apart from the work, with shards).
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class RevealsSealedSecretAttribute : Attribute
{
    /// <summary>What a returned secret is sealed for: it is opened on the way out, wherever the answer was kept.</summary>
    public const string BoundTo = "revealed-secret";
}

/// <summary>Opens the sealed <c>data.secret</c> of an answer of an endpoint marked <see cref="RevealsSealedSecretAttribute"/> as it leaves.</summary>
public sealed class RevealedSecrets(RequestDelegate next)
{
    public async Task InvokeAsync(HttpContext context, SecretBox secrets)
    {
        if (context.GetEndpoint()?.Metadata.GetMetadata<RevealsSealedSecretAttribute>() is null)
        {
            await next(context);
            return;
        }

        // The answer is small: held back whole, opened, then written.
        var body = context.Response.Body;
        using var held = new MemoryStream();
        context.Response.Body = held;
        try
        {
            await next(context);
        }
        finally
        {
            context.Response.Body = body;
        }
        var answer = Reveal(held.ToArray(), secrets);
        if (!context.Response.HasStarted) context.Response.ContentLength = answer.Length;
        await body.WriteAsync(answer, context.RequestAborted);
    }

    /// <summary>
    /// A kept answer (JSON) with its sealed <c>data.secret</c> sealed again under the current master key, for master key
    /// rotation; any other answer as it is.
    /// </summary>
    public static string Reseal(string answer, SecretBox secrets)
    {
        if (!answer.StartsWith('{')) return answer;
        var json = JsonNode.Parse(answer);
        if (json?["data"]?["secret"] is not JsonValue secret || !secret.TryGetValue(out string? value) || !SecretBox.IsSealed(value)
            || secrets.IsSealedUnderCurrentKey(value))
            return answer;
        json["data"]!["secret"] = secrets.Reseal(value, RevealsSealedSecretAttribute.BoundTo);
        return json.ToJsonString(ApiJson.Options);
    }

    private static byte[] Reveal(byte[] answer, SecretBox secrets)
    {
        if (answer.Length == 0 || answer[0] != (byte)'{') return answer;
        var json = JsonNode.Parse(answer);
        if (json?["data"]?["secret"] is not JsonValue secret || !secret.TryGetValue(out string? value) || !SecretBox.IsSealed(value))
            return answer;
        json["data"]!["secret"] = secrets.OpenText(value, RevealsSealedSecretAttribute.BoundTo);
        return JsonSerializer.SerializeToUtf8Bytes(json, ApiJson.Options);
    }
}
