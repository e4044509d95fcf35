using Catalog.Http;
using System.ComponentModel;
using Catalog.Accounts;
using Catalog.Conventions;
using Catalog.Entitlements;
using Catalog.Policies;
using Catalog.Products;

namespace Catalog.Licenses;

/// <summary>Every field is optional, and so is the body. Under a policy, the fields given override the policy's for this license.</summary>
[SchemaExample("""{"policyId": "0193f0a1-4c82-7e6f-a023-9b7c4d8e5f61", "entitlements": ["export-pdf"], "metadata": {"customer": "acme"}}""")]
public record IssueLicense(
    [property: Description("In the future, with a time zone; kept to the millisecond. Overrides the policy's duration.")] DateTimeOffset? ExpiresAt,
    Dictionary<string, JsonElement>? Metadata,
    [property: Range(LicenseRules.MinMachines, LicenseRules.MaxMachines), Description("How many machines may use the license at once; null (the default): the policy's, or no limit.")]
    int? MaxMachines = null,
    [property: Description("A live policy of this product: the license follows its rules.")] Guid? PolicyId = null,
    [property: Range(PolicyRules.MinUses, PolicyRules.MaxUses), Description("Metered uses allowed; null (the default): the policy's, or unlimited.")]
    int? MaxUses = null,
    [property: MaxLength(NamedEntitlements.MaxCount), Description("Entitlement codes the license grants besides its policy's.")]
    List<string?>? Entitlements = null);

/// <summary>What an issuance is decided on besides the product: the policy named (null when none was, or none is), and the entitlements.</summary>
public sealed record IssuanceTerms(Policy? Policy, NamedEntitlements Entitlements);

[Tags("Licenses")]
public static class IssueLicenseEndpoint
{
    /// <summary>
    /// The policy named, under its stream's lock (after the product's, before the entitlements', as a policy's change
    /// takes them): a deletion either commits first, and the policy is refused, or waits for the license.
    /// </summary>
    public static async Task<IssuanceTerms> LoadAsync(IssueLicense? command, IDocumentSession session, CancellationToken token) =>
        new(command?.PolicyId is { } id ? (await session.Events.FetchForExclusiveWriting<Policy>(id, token)).Aggregate : null,
            await NamedEntitlements.ToGrant(session, command?.Entitlements, token));

    public static ProblemDetails Validate(IssueLicense? command, Product product, IssuanceTerms terms, TimeProvider time)
    {
        if (product.IsDeleted)
            return Problems.Status(409, "The product has been deleted: it takes no new licenses.");

        var errors = new ValidationErrors();
        if (command?.ExpiresAt <= time.GetUtcNow()) errors.Add("expiresAt", "must be in the future");
        MetadataRules.Check(errors, command?.Metadata);
        LicenseRules.MaxMachinesAllowed(errors, command?.MaxMachines);
        LicenseRules.MaxUsesAllowed(errors, command?.MaxUses);
        if (command?.PolicyId is not null && (terms.Policy is null || terms.Policy.IsDeleted || terms.Policy.ProductId != product.Id))
            errors.Add("policyId", "must be a live policy of this product");
        terms.Entitlements.Check(errors, "entitlements");
        return errors.ToProblem();
    }

    /// <summary>
    /// The issuance, a pure function: the license's own values, its policy's clock (started now under <c>creation</c>,
    /// else waiting for the first activation or validation, unless the license has its own expiry).
    /// </summary>
    public static LicenseIssued Decide(IssueLicense? command, Product product, IssuanceTerms terms, string key, DateTimeOffset now)
    {
        var policy = terms.Policy;
        var waits = command?.ExpiresAt is null && policy is not null && policy.Terms.ExpirationBasis != ExpirationBasis.Creation;
        var expiresAt = command?.ExpiresAt?.ToMilliseconds() ?? (waits ? null : LicenseClock.ExpiryFrom(now, policy));
        return new LicenseIssued(Guid.CreateVersion7(), product.Id, key, expiresAt, command?.Metadata ?? [], now, command?.MaxMachines,
            policy?.Id, [.. terms.Entitlements.Codes], command?.MaxUses, waits);
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
        IssuanceTerms terms,
        LicenseKeys keys,
        TimeProvider time)
    {
        var now = time.UtcNow();
        var issued = Decide(command, product, terms, keys.Next(product.KeyPrefix), now);
        return (new CreatedResource<LicenseDetails>(LicenseDetails.From(License.Create(issued), terms.Policy, now)), [issued]);
    }
}
