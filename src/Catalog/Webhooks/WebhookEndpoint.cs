using Catalog.Secrets;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Catalog.Webhooks;

/// <summary>
/// Where an account wants its events POSTed. The signing secret is kept (it is needed to sign every delivery),
/// sealed under the master key, and shown only in the answer that creates the endpoint. <see cref="Slot"/> (0 to
/// the cap, unique per account) makes the cap on endpoints hold in the database under concurrent creates.
/// </summary>
public record WebhookEndpoint(Guid Id, Guid AccountId, string Url, string[] Events, string Secret, DateTimeOffset CreatedAt, int Slot)
{
    /// <summary>What an endpoint's sealed secret is bound to: copied to another endpoint, it does not open.</summary>
    public static string SealedFor(Guid id) => "webhook-secret:" + id;

    /// <summary>The secret deliveries are signed with. One stored before secrets were sealed is still in clear until resealed.</summary>
    public string SigningSecret(SecretBox secrets) => SecretBox.IsSealed(Secret) ? secrets.OpenText(Secret, SealedFor(Id)) : Secret;

    /// <summary><see cref="WebhookStatus.Enabled"/> or <see cref="WebhookStatus.Disabled"/>: a disabled endpoint is sent nothing.</summary>
    public string Status { get; init; } = WebhookStatus.Enabled;

    /// <summary>Since when every attempt has failed; null after a success. 72 hours of it disables the endpoint.</summary>
    public DateTimeOffset? FailingSince { get; init; }

    /// <summary>
    /// The <c>Idempotency-Key</c> the endpoint was created with, with the credential that sent it and the request
    /// (<see cref="CreateWebhookEndpoint.Digest"/>): a repeat is answered from this document, secret and all, so no
    /// stored answer ever holds the secret. Unique per account, whatever races.
    /// </summary>
    public string? CreatedWithKey { get; init; }

    public string? CreatedWithRequest { get; init; }
}

public static class WebhookStatus
{
    public const string Enabled = "enabled";
    public const string Disabled = "disabled";
}

/// <summary>One attempt to deliver one event to one endpoint.</summary>
public record WebhookDelivery(
    Guid Id,
    Guid EndpointId,
    Guid EventId,
    string Type,
    int Attempt,
    string Status,
    int? ResponseCode,
    DateTimeOffset AttemptedAt);

public static class DeliveryStatus
{
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
}

/// <summary>
/// <c>Catalog-Signature: t=&lt;unix seconds&gt;,v1=&lt;hex HMAC-SHA256(secret, "&lt;t&gt;.&lt;raw body&gt;")&gt;</c>,
/// as Stripe signs: the timestamp lets receivers refuse replays of old deliveries.
/// </summary>
public static class WebhookSignature
{
    public const string Header = "Catalog-Signature";

    public const string SecretPrefix = "whsec_";

    public static string NewSecret() =>
        SecretPrefix + RandomNumberGenerator.GetString("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", 40);

    public static string Sign(string secret, long unixSeconds, string body)
    {
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{unixSeconds}.{body}"));
        return $"t={unixSeconds},v1={Convert.ToHexStringLower(mac)}";
    }
}

/// <summary>Configuration section <c>Webhooks</c>.</summary>
public sealed class WebhookSettings
{
    /// <summary>The waits between attempts; the last one repeats. Units: ms, s, m, h.</summary>
    public string RetrySchedule { get; set; } = "5s,30s,2m,10m,30m,1h";

    /// <summary>No attempt is made later than this after the first.</summary>
    public TimeSpan GiveUpAfter { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How long one attempt may take, connecting included.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long connecting may take.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Attempts in flight to one endpoint at once (per node): a slow receiver holds its own slots only.</summary>
    public int MaxInFlightPerEndpoint { get; set; } = 4;

    /// <summary>An endpoint with only failed attempts for this long is disabled.</summary>
    public TimeSpan DisableAfter { get; set; } = TimeSpan.FromHours(72);

    /// <summary>Delivery records older than this are deleted.</summary>
    public TimeSpan KeepDeliveriesFor { get; set; } = TimeSpan.FromDays(30);

    public int MaxEndpointsPerAccount { get; set; } = 20;

    /// <summary>Whether webhooks may reach loopback and private addresses: for tests and local receivers only.</summary>
    public bool AllowPrivateNetworks { get; set; }

    /// <summary>
    /// An http:// URL of a forward proxy the operator runs, which every delivery then goes through as a CONNECT tunnel
    /// to the target's address, checked here first (EgressGuard.ProxyTunnel: the proxy may be on a private address and
    /// must allow CONNECT to the webhooks' ports). Unset, deliveries connect directly: the environment's proxy
    /// (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY) is never used.
    /// </summary>
    public string? Proxy { get; set; }

    /// <summary>The proxy's URL, or null without one; a malformed one throws, one line naming the setting.</summary>
    public Uri? ProxyUri()
    {
        if (string.IsNullOrWhiteSpace(Proxy)) return null;
        if (Uri.TryCreate(Proxy.Trim(), UriKind.Absolute, out var uri)
            && uri.Scheme == Uri.UriSchemeHttp && uri.Host.Length > 0
            && uri.UserInfo.Length == 0 && uri.AbsolutePath == "/" && uri.Query.Length == 0 && uri.Fragment.Length == 0)
            return uri;
        // The value itself is not repeated: a malformed one may hold a password.
        throw new FormatException(
            "Webhooks:Proxy must be the http:// URL of a forward proxy, such as http://proxy.internal:3128, without credentials, path or query");
    }

    /// <summary>
    /// The wait before the attempt after <paramref name="failedAttempt"/> (1-based), with ±10% jitter so that
    /// endpoints failing together do not retry together; null once the next attempt would fall past
    /// <see cref="GiveUpAfter"/>.
    /// </summary>
    public TimeSpan? NextDelay(int failedAttempt, TimeSpan sinceFirstAttempt)
    {
        var schedule = Schedule();
        var wait = schedule[Math.Min(failedAttempt - 1, schedule.Length - 1)];
        wait *= 0.9 + Random.Shared.NextDouble() * 0.2;
        return sinceFirstAttempt + wait > GiveUpAfter ? null : wait;
    }

    public TimeSpan[] Schedule() => RetrySchedule
        .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        .Select(ParseDuration)
        .ToArray() is { Length: > 0 } parsed ? parsed : [TimeSpan.FromHours(1)];

    private static TimeSpan ParseDuration(string text)
    {
        var (number, unit) = text.EndsWith("ms") ? (text[..^2], 1.0)
            : text.EndsWith('s') ? (text[..^1], 1000.0)
            : text.EndsWith('m') ? (text[..^1], 60_000.0)
            : text.EndsWith('h') ? (text[..^1], 3_600_000.0)
            : throw new FormatException($"Webhooks:RetrySchedule: '{text}' needs a unit (ms, s, m or h)");
        return TimeSpan.FromMilliseconds(double.Parse(number, CultureInfo.InvariantCulture) * unit);
    }
}
