using Catalog.Policies;
using Catalog.Products;

namespace Catalog.Licenses;

// The verdict on a license: what vendor validation, client validation and license files all judge by.

public record LicenseValidation(
    bool Valid,
    [property: AllowedValues(ValidationCodes.Valid, ValidationCodes.NotFound, ValidationCodes.ProductMismatch, ValidationCodes.Revoked, ValidationCodes.ProductDeleted,
        ValidationCodes.Suspended, ValidationCodes.Expired, ValidationCodes.NotActivated, ValidationCodes.HeartbeatDead,
        ValidationCodes.EntitlementsMissing)]
    string Code,
    LicenseDetails? License);

public static class ValidationCodes
{
    public const string Valid = "VALID";
    public const string NotFound = "NOT_FOUND";
    /// <summary>A product was named and the license is not that product's.</summary>
    public const string ProductMismatch = "PRODUCT_MISMATCH";
    public const string Revoked = "REVOKED";
    public const string Expired = "EXPIRED";
    public const string ProductDeleted = "PRODUCT_DELETED";
    public const string Suspended = "SUSPENDED";
    /// <summary>A fingerprint was given and is not an active machine of the license.</summary>
    public const string NotActivated = "NOT_ACTIVATED";
    /// <summary>A fingerprint was given and that machine missed its heartbeat: it holds no seat, and activates again.</summary>
    public const string HeartbeatDead = "HEARTBEAT_DEAD";
    /// <summary>Entitlements were asked for and the license lacks one of them.</summary>
    public const string EntitlementsMissing = "ENTITLEMENTS_MISSING";
}

/// <summary>What a validation asks besides the license: this machine, this product, these entitlements.</summary>
public sealed record ValidationQuestion(string? Fingerprint = null, string? ProductCode = null, IReadOnlyCollection<string>? Entitlements = null)
{
    public static readonly ValidationQuestion None = new();
}

public static class LicenseVerdict
{
    /// <summary>
    /// The verdict on a license under its policy, its product and, when a fingerprint was given, that machine, at a
    /// moment: a pure function. Codes are judged in this order: NOT_FOUND, PRODUCT_MISMATCH, REVOKED, PRODUCT_DELETED,
    /// SUSPENDED, EXPIRED, NOT_ACTIVATED, HEARTBEAT_DEAD, ENTITLEMENTS_MISSING.
    /// </summary>
    public static LicenseValidation Judge(License? license, Product? product, Policy? policy, DateTimeOffset now,
        ValidationQuestion? question = null, bool fingerprintActive = false, bool machineDead = false)
    {
        question ??= ValidationQuestion.None;
        if (license is null) return new(false, ValidationCodes.NotFound, null);
        var details = LicenseDetails.From(license, policy, now);
        if (LicensedProduct.Mismatches(product, question.ProductCode)) return new(false, ValidationCodes.ProductMismatch, details);
        if (license.UnusableBecause(product, now) is { } code) return new(false, code, details);
        if (question.Fingerprint is not null && !fingerprintActive) return new(false, ValidationCodes.NotActivated, details);
        if (question.Fingerprint is not null && machineDead) return new(false, ValidationCodes.HeartbeatDead, details);
        if (question.Entitlements is { Count: > 0 } asked && !asked.All(x => details.Entitlements.Contains(x, StringComparer.OrdinalIgnoreCase)))
            return new(false, ValidationCodes.EntitlementsMissing, details);
        return new(true, ValidationCodes.Valid, details);
    }
}
