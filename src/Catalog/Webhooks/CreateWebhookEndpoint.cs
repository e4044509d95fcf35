using Catalog.Secrets;
using Catalog.Http;
using System.ComponentModel;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text.Json.Serialization;
using Catalog.Accounts;
using Catalog.EventLog;
using Catalog.Conventions;

namespace Catalog.Webhooks;

/// <summary>
/// What a create needs of the account's endpoints: the slots they take, and the one this request's
/// <c>Idempotency-Key</c> (<see cref="Key"/>) already made, if any.
/// </summary>
public record TakenSlots(IReadOnlyCollection<int> Slots, string? Key = null, WebhookEndpoint? MadeWithKey = null)
{
    /// <summary>A free slot chosen at random, so that concurrent creates rarely choose the same; null at the cap.</summary>
    public int? FreeSlot(int cap)
    {
        var free = Enumerable.Range(0, cap).Except(Slots).ToArray();
        return free.Length == 0 ? null : free[Random.Shared.Next(free.Length)];
    }
}

public record CreateWebhookEndpoint(
    [property: Required, Url, MaxLength(CreateWebhookEndpointEndpoint.MaxUrlLength), Description("An absolute http or https URL without credentials.")]
    string? Url,
    [property: Required, MinLength(1), PublicEventName] string[]? Events)
{
    /// <summary>What a repeat with the same <c>Idempotency-Key</c> must ask again to be answered the first answer.</summary>
    public string Digest() => Convert.ToHexStringLower(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(new { Url, Events })));
}

/// <summary>The endpoint as created: the only answer that shows its secret.</summary>
[SchemaName("NewWebhookEndpoint")]
public record WebhookEndpointCreated(Guid Id, string Url, string[] Events, string Secret, DateTimeOffset CreatedAt) : IHasLocation
{
    [JsonIgnore] public string Location => $"/api/v1/webhook-endpoints/{Id}";
}

[Tags("Webhooks")]
public static class CreateWebhookEndpointEndpoint
{
    public const int MaxUrlLength = 2048;

    /// <summary>
    /// The account's slots in use (an endpoint takes a free one, and the unique slot index holds the cap), and the
    /// endpoint made by this credential with this request's <c>Idempotency-Key</c>.
    /// </summary>
    public static async Task<TakenSlots> LoadAsync(IQuerySession session, HttpRequest request, ClaimsPrincipal user, CancellationToken token)
    {
        var slots = await session.Query<WebhookEndpoint>().Select(x => x.Slot).ToListAsync(token);
        var key = request.Headers[IdempotencyConfiguration.Header].ToString() is { Length: > 0 } header ? $"{user.Identity?.Name}:{header}" : null;
        return new(slots, key, key is null ? null : await session.Query<WebhookEndpoint>().FirstOrDefaultAsync(x => x.CreatedWithKey == key, token));
    }

    public static async Task<ProblemDetails> ValidateAsync(CreateWebhookEndpoint command, TakenSlots taken, ClaimsPrincipal user,
        HttpRequest request, WebhookSettings settings, TimeProvider time, CancellationToken token)
    {
        if (IdempotencyConfiguration.Refusal(request.Headers[IdempotencyConfiguration.Header].ToString()) is { } badKey) return badKey;
        // A repeat shows the secret again: only within the 24 hours any answer is kept for, never to whoever learns an
        // old key later. After them the key stays spent (the endpoint still holds it): 422, as for another request.
        if (taken.MadeWithKey is { } made)
            return made.CreatedWithRequest == command.Digest() && time.GetUtcNow() - made.CreatedAt < IdempotencyConfiguration.KeptFor
                ? WolverineContinue.NoProblems
                : IdempotencyConfiguration.KeyReused;

        // License events carry license keys: subscribing to them needs licenses:read too.
        if (command.Events?.Any(x => x is not null && PublicEvents.IsLicenseEvent(x)) == true && !user.Has(Scopes.LicensesRead))
            return Problems.Status(403, $"This API key lacks the scope '{Scopes.LicensesRead}', which license events need.");

        var errors = new ValidationErrors();
        if (string.IsNullOrWhiteSpace(command.Url)) errors.Add("url", "is required");
        else if (command.Url.Length > MaxUrlLength) errors.Add("url", $"must be at most {MaxUrlLength} characters");
        else if (!Uri.TryCreate(command.Url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            errors.Add("url", "must be an absolute http or https URL");
        else if (uri.UserInfo.Length > 0) errors.Add("url", "must not carry credentials");
        else if (uri.Fragment.Length > 0) errors.Add("url", "must not have a fragment");
        else if (!Text.IsStorable(command.Url) || command.Url.Any(char.IsControl)) errors.Add("url", "must not contain control characters");
        else if (!HasAHostName(uri)) errors.Add("url", "must have a host name that is valid as an internationalized domain name");
        else if (!settings.AllowPrivateNetworks && await EgressGuard.RefusalAsync(uri, token) is { } refusal) errors.Add("url", refusal);

        if (command.Events is not { Length: > 0 }) errors.Add("events", $"must list at least one of {string.Join(", ", PublicEvents.Names)}");
        else
        {
            foreach (var name in command.Events)
                if (name is null || PublicEvents.TypeNamed(name) is null)
                    errors.Add("events", $"'{name}' is not an event type; known: {string.Join(", ", PublicEvents.Names)}");
        }

        if (errors.Any) return errors.ToProblem();

        // The cap keeps one account from fanning every event out widely (and from holding many delivery queues).
        return taken.FreeSlot(settings.MaxEndpointsPerAccount) is null
            ? Problems.Validation("url", $"an account may have at most {settings.MaxEndpointsPerAccount} webhook endpoints")
            : WolverineContinue.NoProblems;
    }

    /// <summary>A host that parses but breaks IDNA's rules (mixed right-to-left letters) could never be connected to.</summary>
    private static bool HasAHostName(Uri uri)
    {
        try
        {
            return uri.IdnHost.Length > 0;
        }
        catch (UriFormatException)
        {
            return false;
        }
    }

    [WolverinePost("/api/v1/webhook-endpoints", OperationId = "createWebhookEndpoint", Summary = "Register a webhook endpoint")]
    [Authorize(Scopes.WebhooksWrite)]
    // A slot a concurrent create took first: choose again. A repeat that lost the race to the first: answered the first.
    [RetryOnContention(WebhooksConfiguration.SlotIndex, WebhooksConfiguration.CreatedWithKeyIndex)]
    // Its Idempotency-Key is kept on the endpoint it made (CreatedWithKey), not as a stored answer holding the secret.
    [KeepsItsIdempotencyKey]
    public static (CreatedResource<WebhookEndpointCreated>, IMartenOp) Post(CreateWebhookEndpoint command, TakenSlots taken, ClaimsPrincipal user,
        WebhookSettings settings, SecretBox secrets, TimeProvider time, HttpResponse response)
    {
        if (taken.MadeWithKey is { } made)
        {
            response.Headers[IdempotencyConfiguration.Replayed] = "true";
            return (Created(made, made.SigningSecret(secrets)), MartenOps.Nothing());
        }

        var id = Guid.CreateVersion7();
        var secret = WebhookSignature.NewSecret();
        var endpoint = new WebhookEndpoint(id, user.Account(), command.Url!, command.Events!.Distinct().ToArray(),
            secrets.Seal(secret, WebhookEndpoint.SealedFor(id)), time.UtcNow(), taken.FreeSlot(settings.MaxEndpointsPerAccount)!.Value)
        {
            CreatedWithKey = taken.Key, CreatedWithRequest = taken.Key is null ? null : command.Digest()
        };
        return (Created(endpoint, secret), MartenOps.Insert(endpoint));
    }

    private static CreatedResource<WebhookEndpointCreated> Created(WebhookEndpoint endpoint, string secret) =>
        new(new(endpoint.Id, endpoint.Url, endpoint.Events, secret, endpoint.CreatedAt));
}
