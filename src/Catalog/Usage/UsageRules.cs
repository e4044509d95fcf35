using System.ComponentModel;
using Catalog.Conventions;
using Catalog.Licenses;
using Catalog.Policies;
using Catalog.Products;
using License = Catalog.Licenses.License;

namespace Catalog.Usage;

public record RecordUsage(
    [property: Required, Range(UsageRules.MinIncrement, UsageRules.MaxIncrement), Description("Uses to add: 1-1000000.")] int? Increment,
    [property: RegularExpression(ProductRules.CodePattern), Description(LicensedProduct.Description + " (Client endpoint only.)")]
    string? Product = null);

/// <summary>A license's metered use: how much is counted, and how much is allowed (null: unlimited).</summary>
[SchemaName("Usage")]
public record UsageDetails(int Uses, int? MaxUses)
{
    public static UsageDetails Of(License license, Policy? policy) => new(license.Uses, license.MaxUsesUnder(policy));
}

/// <summary>
/// Metered use, decided under the license stream's lock (the lock activations take), so that N concurrent increments
/// against a limit M count exactly min(N, M) on any number of nodes: each reads the count its predecessor committed.
/// </summary>
public static class UsageRules
{
    public const int MinIncrement = 1, MaxIncrement = 1_000_000;
    public const string UsageLimitReached = "USAGE_LIMIT_REACHED";

    public static ProblemDetails Check(RecordUsage? command)
    {
        var errors = new ValidationErrors();
        if (command?.Increment is not { } increment) errors.Add("increment", "is required");
        else if (increment is < MinIncrement or > MaxIncrement) errors.Add("increment", $"must be a whole number from {MinIncrement} to {MaxIncrement}");
        LicensedProduct.CheckIfGiven(errors, command?.Product);
        return errors.ToProblem();
    }

    /// <summary>
    /// The decision: the increment counted, or a refusal (a revoked license counts nothing; past the limit in force,
    /// 409 USAGE_LIMIT_REACHED and nothing is counted). Without a limit the count still stops at the largest a count holds.
    /// </summary>
    public static (LicenseUsageIncremented? Counted, ProblemDetails? Refusal) Increment(int increment, License license, Policy? policy,
        DateTimeOffset now)
    {
        if (license.IsRevoked) return (null, Problems.Status(409, "The license has been revoked: it counts no more use."));
        var max = license.MaxUsesUnder(policy);
        if ((long)license.Uses + increment > (max ?? int.MaxValue))
            return (null, Problems.Refusal(409, UsageLimitReached,
                $"{license.Uses} of {max?.ToString() ?? "the most a count holds"} uses are counted: {increment} more would pass the limit. Nothing was counted."));
        return (new LicenseUsageIncremented(license.Id, license.ProductId, increment, license.Uses + increment, max, now), null);
    }

    /// <summary>The software on a machine counts use only on a license it may use, of its own product.</summary>
    public static ProblemDetails? ClientRefusal(RecordUsage command, License license, Product? product, DateTimeOffset now) =>
        LicensedProduct.Mismatches(product, command.Product) ? LicensedProduct.Refusal()
        : license.UnusableBecause(product, now) is { } code ? Problems.Refusal(403, code, $"The license cannot be used: {code}.")
        : null;

    /// <summary>The count set back to 0: nothing to record when it is 0 already, or the license revoked.</summary>
    public static (LicenseUsageReset? Reset, ProblemDetails? Refusal) Reset(License license, DateTimeOffset now) =>
        license.IsRevoked ? (null, Problems.Status(409, "The license has been revoked and can no longer be changed."))
        : license.Uses == 0 ? (null, null)
        : (new LicenseUsageReset(license.Id, license.ProductId, license.Uses, now), null);
}
