using System.ComponentModel;
using Catalog.Http;
using Catalog.Accounts;
using Catalog.Conventions;
using Catalog.Entitlements;
using Catalog.Products;

namespace Catalog.Policies;

/// <summary>A new policy: every field but <c>name</c> may be left out (or null) for its default.</summary>
[SchemaExample("""{"name": "Pro, yearly", "duration": 31536000, "maxMachines": 3, "entitlements": ["export-pdf"]}""")]
public record CreatePolicy(
    [property: Required, StringLength(PolicyRules.NameMaxLength, MinimumLength = 1)] string? Name,
    [property: Range(PolicyRules.MinDuration, PolicyRules.MaxDuration), Description("Seconds a license lasts once its clock starts; null: perpetual.")] long? Duration,
    [property: AllowedValues(ExpirationBasis.Creation, ExpirationBasis.FirstActivation, ExpirationBasis.FirstValidation), DefaultValue(ExpirationBasis.Creation),
               Description("When the clock starts; until then expiresAt is null.")] string? ExpirationBasis,
    [property: Range(PolicyRules.MinMaxMachines, PolicyRules.MaxMaxMachines), Description("Seats; null: no limit.")] int? MaxMachines,
    [property: Range(PolicyRules.MinHeartbeat, PolicyRules.MaxHeartbeat), Description("null: machines need no heartbeat.")] int? HeartbeatSeconds,
    [property: Range(PolicyRules.MinConcurrent, PolicyRules.MaxConcurrent), Description("Live leases at once; null: no leases needed.")] int? MaxConcurrent,
    [property: Range(PolicyRules.MinLease, PolicyRules.MaxLease), DefaultValue(PolicyTerms.DefaultLeaseSeconds)] int? LeaseSeconds,
    [property: Range(PolicyRules.MinBorrow, PolicyRules.MaxBorrow), DefaultValue(0), Description("0: no borrowing.")] int? MaxBorrowSeconds,
    [property: Range(PolicyRules.MinUses, PolicyRules.MaxUses), Description("null: unlimited.")] int? MaxUses,
    [property: Description("Seconds a license file lives, from 60 up to Signing:FileLifetime's longest; null: the setting.")] int? FileLifetime,
    [property: DefaultValue(false), Description("A fingerprint gets one trial license per product.")] bool? Trial,
    [property: MaxLength(NamedEntitlements.MaxCount), Description("Codes of the account's entitlements, granted to every license.")] List<string?>? Entitlements,
    Dictionary<string, JsonElement>? Metadata)
{
    public PolicyTerms Terms(NamedEntitlements entitlements) => new(Duration, ExpirationBasis ?? Policies.ExpirationBasis.Creation,
        MaxMachines, HeartbeatSeconds, MaxConcurrent, LeaseSeconds ?? PolicyTerms.DefaultLeaseSeconds, MaxBorrowSeconds ?? 0, MaxUses,
        FileLifetime, Trial ?? false, entitlements.Codes);
}

[Tags("Policies")]
public static class CreatePolicyEndpoint
{
    public static Task<NamedEntitlements> LoadAsync(CreatePolicy command, IDocumentSession session, CancellationToken token) =>
        NamedEntitlements.ToGrant(session, command.Entitlements, token);

    public static ProblemDetails Validate(CreatePolicy command, Product product, NamedEntitlements entitlements)
    {
        if (product.IsDeleted) return Problems.Status(409, "The product has been deleted: it takes no new policies.");
        var errors = new ValidationErrors();
        PolicyRules.Check(errors, command.Name, command.Terms(entitlements));
        entitlements.Check(errors, "entitlements");
        MetadataRules.Check(errors, command.Metadata);
        return errors.ToProblem();
    }

    /// <summary>Starts the policy's stream: a product's licensing model, stated once for every license issued under it.</summary>
    [WolverinePost("/api/v1/products/{id}/policies", OperationId = "createPolicy", Summary = "Create a policy for a product")]
    [Authorize(Scopes.ProductsWrite)]
    [Refuses(409, "The product has been deleted.")]
    [RetryOnContention]
    public static (CreatedResource<PolicyDetails>, IStartStream) Post(CreatePolicy command, [Document("id")] Product product,
        NamedEntitlements entitlements, TimeProvider time)
    {
        var created = new PolicyCreated(Guid.CreateVersion7(), product.Id, command.Name!, command.Terms(entitlements), command.Metadata ?? [],
            time.UtcNow());
        return (new CreatedResource<PolicyDetails>(PolicyDetails.From(Policy.Create(created))),
            MartenOps.StartStream<Policy>(created.PolicyId, created));
    }
}
