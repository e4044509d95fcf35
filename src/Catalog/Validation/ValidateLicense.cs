using Catalog.Http;
using System.ComponentModel;
using Catalog.Accounts;
using Catalog.Conventions;
using Catalog.Licenses;
using Catalog.Machines;
using Catalog.Products;
using License = Catalog.Licenses.License;

namespace Catalog.Validation;

public record ValidateLicense(
    [property: Required, StringLength(ValidateLicenseEndpoint.KeyMaxLength, MinimumLength = 1), Description("Matched ignoring case and surrounding spaces.")]
    string? Key,
    [property: StringLength(MachineFingerprint.MaxLength, MinimumLength = 1),
               Description("When given, the license is valid only if this fingerprint is one of its active machines.")]
    string? Fingerprint = null,
    [property: RegularExpression(ProductRules.CodePattern), Description(LicensedProduct.Description)]
    string? Product = null);

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
        var machine = await Machine.ActiveOn(session, license, command.Fingerprint, token);

        return new(LicenseVerdict.Judge(license, product, time.GetUtcNow(), command.Fingerprint, machine is not null, command.Product));
    }
}
