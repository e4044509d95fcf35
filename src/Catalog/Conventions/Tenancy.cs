using System.Security.Claims;

namespace Catalog.Conventions;

/// <summary>
/// The claims an authenticated request carries. The account is the tenant: Wolverine reads the account claim as
/// the tenant id, so every Marten session an endpoint opens sees that account's data alone.
/// </summary>
public static class CatalogClaims
{
    /// <summary>The account of the key: Wolverine reads it as the tenant id, so Marten scopes every session to it.</summary>
    public const string AccountId = "catalog_account";
    public const string ApiKeyId = "catalog_api_key";
    public const string Scope = "scope";

    /// <summary>The license of a license key (the client endpoints' credential, <c>Authorization: License &lt;key&gt;</c>).</summary>
    public const string LicenseId = "catalog_license";
    public const string LicenseKeyScheme = "License";
    /// <summary>The authorization policy of the client endpoints: a license key, not an API key.</summary>
    public const string LicenseKeyPolicy = "license-key";

    /// <summary>The account of the authenticated key.</summary>
    public static Guid Account(this ClaimsPrincipal user) => Guid.Parse(user.FindFirstValue(AccountId)!);

    /// <summary>The license of the authenticated license key.</summary>
    public static Guid License(this ClaimsPrincipal user) => Guid.Parse(user.FindFirstValue(LicenseId)!);
}
