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
    string? Key,
    [property: StringLength(MachineFingerprint.MaxLength, MinimumLength = 1),
               Description("When given, the license is valid only if this fingerprint is one of its active machines.")]
    string? Fingerprint = null,
    [property: RegularExpression(ProductRules.CodePattern), Description(LicensedProduct.Description)]
    string? Product = null);

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

[Tags("Licenses")]
public static class ValidateLicenseEndpoint
{
    public const int KeyMaxLength = 100;

    public static ProblemDetails Validate(ValidateLicense command)
    {
        var errors = new ValidationErrors();
        if (string.IsNullOrWhiteSpace(command.Key)) errors.Add("key", "is required");
        else if (command.Key.Length > KeyMaxLength) errors.Add("key", $"must be at most {KeyMaxLength} characters");
        if (command.Fingerprint is not null) MachineFingerprint.Check(errors, command.Fingerprint);
        LicensedProduct.CheckIfGiven(errors, command.Product);
        return errors.ToProblem();
    }

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

    /// <summary>The active machine of the license with this fingerprint, if any.</summary>
    public static Task<Machine?> ActiveMachine(IQuerySession session, License? license, string? fingerprint, CancellationToken token) =>
        license is null || fingerprint is null
            ? Task.FromResult<Machine?>(null)
            : session.Query<Machine>().Where(x => x.LicenseId == license.Id && x.Fingerprint == fingerprint && x.DeactivatedAt == null)
                .FirstOrDefaultAsync(token);

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
        // What cannot be a key (a NUL, say, which PostgreSQL would refuse) is not found without asking.
        var license = LicenseKeys.IsWellFormed(key)
            ? await session.Query<License>().Where(x => x.Key == key).SingleOrDefaultAsync(token)
            : null;
        // Primary-key-fast lookups; Marten's Include would build a temporary table on every call.
        var product = license is null ? null : await session.LoadAsync<Product>(license.ProductId, token);
        var machine = await ActiveMachine(session, license, command.Fingerprint, token);

        return new(Judge(license, product, time.GetUtcNow(), command.Fingerprint, machine is not null, command.Product));
    }
}
