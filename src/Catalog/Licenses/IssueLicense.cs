using Catalog.Http;
using System.ComponentModel;
using Catalog.Accounts;
using Catalog.Conventions;
using Catalog.Products;

namespace Catalog.Licenses;

/// <summary>Both fields are optional, and so is the body.</summary>
public record IssueLicense(
    [property: Description("In the future, with a time zone; kept to the millisecond.")] DateTimeOffset? ExpiresAt,
    Dictionary<string, JsonElement>? Metadata,
    [property: Range(LicenseRules.MinMachines, LicenseRules.MaxMachines), Description("How many machines may use the license at once; null (the default) for no limit.")]
    int? MaxMachines = null);

[Tags("Licenses")]
public static class IssueLicenseEndpoint
{
    public static ProblemDetails Validate(IssueLicense? command, Product product, TimeProvider time)
    {
        if (product.IsDeleted)
            return Problems.Status(409, "The product has been deleted: it takes no new licenses.");

        var errors = new ValidationErrors();
        if (command?.ExpiresAt <= time.GetUtcNow()) errors.Add("expiresAt", "must be in the future");
        MetadataRules.Check(errors, command?.Metadata);
        LicenseRules.MaxMachinesAllowed(errors, command?.MaxMachines);
        return errors.ToProblem();
    }

    /// <summary>
    /// Wolverine takes the product stream's row lock (exclusive load), so concurrent issuances for one product
    /// queue up instead of failing; the LicenseIssued event then updates the product's licensesCount and
    /// creates the license document in the same transaction. The key keeps the prefix it is issued with.
    /// </summary>
    [WolverinePost("/api/v1/products/{id}/licenses", OperationId = "issueLicense", Summary = "Issue a license key for a product")]
    [Authorize(Scopes.LicensesWrite)]
    [Refuses(409, "The product has been deleted: it takes no new licenses.")]
    [RetryOnContention(LicensesConfiguration.KeyIndex, LicenseKeyReservations.KeyTaken)] // a key drawn twice (80 random bits: practically never) is drawn again
    public static (CreatedResource<LicenseDetails>, Events) Post(
        IssueLicense? command,
        [Aggregate("id", LoadStyle = ConcurrencyStyle.Exclusive)] Product product,
        LicenseKeys keys,
        TimeProvider time)
    {
        var now = time.UtcNow();
        var issued = new LicenseIssued(Guid.CreateVersion7(), product.Id, keys.Next(product.KeyPrefix),
            command?.ExpiresAt?.ToMilliseconds(), command?.Metadata ?? [], now, command?.MaxMachines);

        return (new CreatedResource<LicenseDetails>(LicenseDetails.From(License.Create(issued), now)), [issued]);
    }
}
