using Catalog.Activity;
using Catalog.Http;
using System.ComponentModel;
using Catalog.Accounts;
using Catalog.Conventions;
using Catalog.Licenses;
using Catalog.Machines;
using Catalog.Products;

namespace Catalog.Validation;

public record ValidateLicense(
    [property: Required, StringLength(ValidateLicenseEndpoint.KeyMaxLength, MinimumLength = 1), Description("Matched ignoring case and surrounding spaces.")]
    string? Key,
    [property: StringLength(MachineFingerprint.MaxLength, MinimumLength = 1),
               Description("When given, the license is valid only if this fingerprint is one of its active machines.")]
    string? Fingerprint = null,
    [property: RegularExpression(ProductRules.CodePattern), Description(LicensedProduct.Description)]
    string? Product = null,
    [property: MaxLength(Entitlements.NamedEntitlements.MaxCount), Description(AskedEntitlements.Description)]
    List<string?>? Entitlements = null)
{
    [System.Text.Json.Serialization.JsonIgnore] public ValidationQuestion Question => new(Fingerprint, Product, Entitlements?.OfType<string>().ToList());
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
        AskedEntitlements.Check(errors, command.Entitlements);
        return errors.ToProblem();
    }

    /// <summary>
    /// Always 200 for a well-formed request. The license, its product, its policy and the machine asked about are read
    /// in one statement (<see cref="LicenseInOneRead"/>); keys are compared without regard to case or surrounding
    /// spaces. Another account's key is NOT_FOUND.
    /// </summary>
    [WolverinePost("/api/v1/licenses/validate", OperationId = "validateLicense", Summary = "Validate a license key")]
    [Authorize(Scopes.LicensesValidate)] // or licenses:read, which implies it
    [ReadSentAsPost, ReadOnPrimary]
    public static async Task<Resource<LicenseValidation>> Post(ValidateLicense command, AccountSource source, LicenseInOneRead licenses,
        IDocumentStore store, ValidationTally tally, TimeProvider time, CancellationToken token)
    {
        var key = command.Key!.Trim().ToUpperInvariant();
        var question = command.Question;
        // What cannot be a key (a NUL, say, which PostgreSQL would refuse) is not found without asking.
        var found = LicenseKeys.IsWellFormed(key) ? await licenses.ByKey(source, key, command.Fingerprint, token) : null;
        found = await FirstValidation.StartClock(found, question, store, source.Account, time, token);
        var now = time.GetUtcNow();
        if (found is not null) tally.Count(source.Account, found.License.ProductId, now); // the product's chart (Activity/)
        return new(LicenseVerdict.Judge(found?.License, found?.Product, found?.Policy, now, question, found?.FingerprintKnown == true,
            found?.MachineDeadAt(now) == true));
    }
}
