using System.Security.Cryptography;
using System.Text;

namespace Catalog.Accounts;

/// <summary>A customer of Catalog: the tenant. Everything an API key reads or writes is its account's alone.</summary>
public record Account(Guid Id, string Name, DateTimeOffset CreatedAt);

/// <summary>
/// An API key as stored: only the SHA-256 of the secret (keys carry 238 bits of randomness, so a fast hash
/// is safe) and a short hint for operators to recognise it. The secret itself is shown once, at creation.
/// </summary>
public record ApiKey(
    Guid Id,
    Guid AccountId,
    string? Name,
    string[] Scopes,
    string Hash,
    string Hint,
    DateTimeOffset CreatedAt,
    DateTimeOffset? RevokedAt);

public static class Scopes
{
    public const string ProductsRead = "products:read";
    public const string ProductsWrite = "products:write";
    public const string LicensesRead = "licenses:read";
    public const string LicensesWrite = "licenses:write";
    /// <summary>Validate keys only (a vendor's own license server): it cannot list licenses. licenses:read implies it.</summary>
    public const string LicensesValidate = "licenses:validate";
    public const string EventsRead = "events:read";
    public const string WebhooksWrite = "webhooks:write";

    public static readonly IReadOnlyList<string> All =
        [ProductsRead, ProductsWrite, LicensesRead, LicensesWrite, LicensesValidate, EventsRead, WebhooksWrite];

    /// <summary>The scopes that also grant a scope: licenses:read implies licenses:validate.</summary>
    public static string[] Granting(string scope) => scope == LicensesValidate ? [LicensesValidate, LicensesRead] : [scope];

    public static bool Has(this System.Security.Claims.ClaimsPrincipal user, string scope) =>
        Granting(scope).Any(x => user.HasClaim(Catalog.Conventions.CatalogClaims.Scope, x));
}

/// <summary>The secret form of a key: <c>ctlg_</c> then 40 base62 characters from a cryptographic source.</summary>
public static class ApiKeySecret
{
    /// <summary>A recognisable prefix, so that secret scanners can find leaked keys.</summary>
    public const string Prefix = "ctlg_";
    private const int RandomLength = 40;
    private const string Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    public static string Generate() => Prefix + RandomNumberGenerator.GetString(Alphabet, RandomLength);

    public static bool IsWellFormed(string key) =>
        key.Length == Prefix.Length + RandomLength
        && key.StartsWith(Prefix, StringComparison.Ordinal)
        && key.AsSpan(Prefix.Length).ContainsAnyExcept(Alphabet) == false;

    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(key)));

    /// <summary>What operators see in listings: the prefix and the last four characters.</summary>
    public static string Hint(string key) => $"{Prefix}…{key[^4..]}";
}
