using Catalog.Products;

namespace Catalog.Licenses;

// The verdict on a license: what vendor validation, client validation and license files all judge by.

public record LicenseValidation(
    bool Valid,
    [property: AllowedValues(ValidationCodes.Valid, ValidationCodes.NotFound, ValidationCodes.ProductMismatch, ValidationCodes.Revoked, ValidationCodes.ProductDeleted,
        ValidationCodes.Suspended, ValidationCodes.Expired, ValidationCodes.NotActivated)]
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
}

public static class LicenseVerdict
{
    /// <summary>
    /// The verdict on a license, its product and, when a fingerprint was given, that machine, at a moment: a pure
    /// function. Codes are judged in this order: NOT_FOUND, PRODUCT_MISMATCH, REVOKED, PRODUCT_DELETED, SUSPENDED,
    /// EXPIRED, NOT_ACTIVATED.
    /// </summary>
    public static LicenseValidation Judge(License? license, Product? product, DateTimeOffset now,
        string? fingerprint = null, bool fingerprintActive = false, string? productCode = null)
    {
        if (license is null) return new(false, ValidationCodes.NotFound, null);
        var details = LicenseDetails.From(license, now);
        if (LicensedProduct.Mismatches(product, productCode)) return new(false, ValidationCodes.ProductMismatch, details);
        if (license.UnusableBecause(product, now) is { } code) return new(false, code, details);
        if (fingerprint is not null && !fingerprintActive) return new(false, ValidationCodes.NotActivated, details);
        return new(true, ValidationCodes.Valid, details);
    }
}
