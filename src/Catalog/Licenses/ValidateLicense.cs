using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Catalog.Accounts;
using Catalog.Conventions;
using Catalog.Idempotency;
using Catalog.Products;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace Catalog.Licenses;

public record ValidateLicense(
    [property: Required, StringLength(ValidateLicenseEndpoint.KeyMaxLength, MinimumLength = 1), Description("Matched ignoring case and surrounding spaces.")]
    string? Key);

public record LicenseValidation(
    bool Valid,
    [property: AllowedValues(ValidationCodes.Valid, ValidationCodes.NotFound, ValidationCodes.Revoked, ValidationCodes.ProductDeleted, ValidationCodes.Expired)]
    string Code,
    LicenseDetails? License);

public static class ValidationCodes
{
    public const string Valid = "VALID";
    public const string NotFound = "NOT_FOUND";
    public const string Revoked = "REVOKED";
    public const string Expired = "EXPIRED";
    public const string ProductDeleted = "PRODUCT_DELETED";
}

[Tags("Licenses")]
public static class ValidateLicenseEndpoint
{
    public const int KeyMaxLength = 100;

    public static ProblemDetails Validate(ValidateLicense command)
    {
        var errors = new ValidationErrors();
        if (string.IsNullOrWhiteSpace(command.Key)) errors.Add("key", "is required");
        else if (command.Key.Length > KeyMaxLength) errors.Add("key", $"must be at most {KeyMaxLength} characters");
        return errors.ToProblem();
    }

    /// <summary>The verdict on a license and its product, at a moment: a pure function.</summary>
    public static LicenseValidation Judge(License? license, Product? product, DateTimeOffset now)
    {
        if (license is null) return new(false, ValidationCodes.NotFound, null);
        var details = LicenseDetails.From(license, now);
        if (license.IsRevoked) return new(false, ValidationCodes.Revoked, details);
        if (product is null || product.IsDeleted) return new(false, ValidationCodes.ProductDeleted, details);
        if (license.ExpiresAt <= now) return new(false, ValidationCodes.Expired, details);
        return new(true, ValidationCodes.Valid, details);
    }

    /// <summary>
    /// Always 200 for a well-formed request. The license is found by its key through a unique index, then its
    /// product by its primary key; keys are compared without regard to case or surrounding spaces. Another
    /// account's key is NOT_FOUND.
    /// </summary>
    [WolverinePost("/api/v1/licenses/validate", OperationId = "validateLicense", Summary = "Validate a license key")]
    [Authorize(Scopes.LicensesValidate)] // or licenses:read, which implies it
    [ReadSentAsPost]
    public static async Task<Resource<LicenseValidation>> Post(
        ValidateLicense command, IQuerySession session, TimeProvider time, CancellationToken token)
    {
        var key = command.Key!.Trim().ToUpperInvariant();
        var license = await session.Query<License>().Where(x => x.Key == key).SingleOrDefaultAsync(token);
        // Two primary-key-fast lookups; Marten's Include would build a temporary table on every call.
        var product = license is null ? null : await session.LoadAsync<Product>(license.ProductId, token);

        return new(Judge(license, product, time.GetUtcNow()));
    }
}
