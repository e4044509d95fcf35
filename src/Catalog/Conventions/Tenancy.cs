using System.Security.Claims;

namespace Catalog.Conventions;

/// <summary>An authenticated request's claims. The account is the tenant: an endpoint's sessions see its data alone.</summary>
public static class CatalogClaims
{
    public const string AccountId = "catalog_account";
    public const string ApiKeyId = "catalog_api_key";
    public const string Scope = "scope";

    /// <summary>The license of a license key (the client endpoints' credential, <c>Authorization: License &lt;key&gt;</c>).</summary>
    public const string LicenseId = "catalog_license";
    public const string LicenseKeyScheme = "License";
    /// <summary>
    /// Whether the request presents a license key (<c>Authorization: License …</c>, any case): the one test that tells
    /// the two kinds of credential apart, so that a request is always one kind or the other, never both.
    /// </summary>
    public static bool PresentsLicenseKey(Microsoft.AspNetCore.Http.HttpRequest request) =>
        request.Headers.Authorization.ToString().StartsWith(LicenseKeyScheme + " ", StringComparison.OrdinalIgnoreCase);

    /// <summary>The authorization policy of the client endpoints: a license key, not an API key.</summary>
    public const string LicenseKeyPolicy = "license-key";

    /// <summary>The account of the authenticated key.</summary>
    public static Guid Account(this ClaimsPrincipal user) => Guid.Parse(user.FindFirstValue(AccountId)!);

    /// <summary>
    /// The account as the name of its tenant, read as Wolverine's tenant detection reads it (the claim's first value,
    /// trimmed), for a session opened outside that detection. Without one, <paramref name="use"/> cannot run: never the
    /// default tenant's session.
    /// </summary>
    public static string Tenant(this ClaimsPrincipal user, string use) =>
        user.FindFirstValue(AccountId)?.Trim() is { Length: > 0 } account
            ? account
            : throw new InvalidOperationException($"{use} needs an authenticated account");

    /// <summary>The license of the authenticated license key.</summary>
    public static Guid License(this ClaimsPrincipal user) => Guid.Parse(user.FindFirstValue(LicenseId)!);
}
