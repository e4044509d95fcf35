using System.ComponentModel;
using Catalog.Http;
using Catalog.Accounts;
using Catalog.Conventions;
using Catalog.Entitlements;

namespace Catalog.Policies;

/// <summary>Any of the policy's fields; one left out stays as it is. It holds for every license under the policy at once.</summary>
public record UpdatePolicy(
    [property: StringLength(PolicyRules.NameMaxLength, MinimumLength = 1)] Optional<string> Name,
    [property: Range(PolicyRules.MinDuration, PolicyRules.MaxDuration), Description("Applied when a license's clock starts: expiries already set stay.")] Optional<long?> Duration,
    [property: AllowedValues(ExpirationBasis.Creation, ExpirationBasis.FirstActivation, ExpirationBasis.FirstValidation)] Optional<string> ExpirationBasis,
    [property: Range(PolicyRules.MinMaxMachines, PolicyRules.MaxMaxMachines), Description("A lower limit takes no seat away.")] Optional<int?> MaxMachines,
    [property: Range(PolicyRules.MinHeartbeat, PolicyRules.MaxHeartbeat)] Optional<int?> HeartbeatSeconds,
    [property: Range(PolicyRules.MinConcurrent, PolicyRules.MaxConcurrent)] Optional<int?> MaxConcurrent,
    [property: Range(PolicyRules.MinLease, PolicyRules.MaxLease)] Optional<int?> LeaseSeconds,
    [property: Range(PolicyRules.MinBorrow, PolicyRules.MaxBorrow)] Optional<int?> MaxBorrowSeconds,
    [property: Range(PolicyRules.MinUses, PolicyRules.MaxUses)] Optional<int?> MaxUses,
    Optional<int?> FileLifetime,
    Optional<bool?> Trial,
    [property: Description("Replaced whole; null empties it.")] Optional<List<string?>> Entitlements,
    [property: Description("Replaced whole; null empties it.")] Optional<Dictionary<string, JsonElement>> Metadata)
{
    /// <summary>The terms once patched; a field that takes no null keeps its value here (Validate refuses the null).</summary>
    public PolicyTerms Patched(PolicyTerms terms, NamedEntitlements entitlements) => new(
        Duration.Or(terms.Duration),
        ExpirationBasis.Or(terms.ExpirationBasis) ?? terms.ExpirationBasis,
        MaxMachines.Or(terms.MaxMachines),
        HeartbeatSeconds.Or(terms.HeartbeatSeconds),
        MaxConcurrent.Or(terms.MaxConcurrent),
        LeaseSeconds.Or(terms.LeaseSeconds) ?? terms.LeaseSeconds,
        MaxBorrowSeconds.Or(terms.MaxBorrowSeconds) ?? terms.MaxBorrowSeconds,
        MaxUses.Or(terms.MaxUses),
        FileLifetime.Or(terms.FileLifetime),
        Trial.Or(terms.Trial) ?? terms.Trial,
        Entitlements.IsPresent ? entitlements.Codes : terms.Entitlements);
}

[Tags("Policies")]
public static class UpdatePolicyEndpoint
{
    public static async Task<NamedEntitlements> LoadAsync(UpdatePolicy command, IDocumentSession session, CancellationToken token) =>
        command.Entitlements.IsPresent ? await NamedEntitlements.ToGrant(session, command.Entitlements.Value, token) : NamedEntitlements.None;

    public static ProblemDetails Validate(UpdatePolicy command, Policy policy, NamedEntitlements entitlements)
    {
        if (policy.IsDeleted) return Problems.Status(409, "The policy has been deleted and can no longer be changed.");
        var errors = new ValidationErrors();
        if (command.ExpirationBasis is { IsPresent: true, Value: null }) errors.Add("expirationBasis", "must not be null");
        if (command.LeaseSeconds is { IsPresent: true, Value: null }) errors.Add("leaseSeconds", "must not be null");
        if (command.MaxBorrowSeconds is { IsPresent: true, Value: null }) errors.Add("maxBorrowSeconds", "must not be null");
        if (command.Trial is { IsPresent: true, Value: null }) errors.Add("trial", "must not be null");
        PolicyRules.Check(errors, command.Name.Or(policy.Name), command.Patched(policy.Terms, entitlements));
        entitlements.Check(errors, "entitlements");
        if (command.Metadata.IsPresent) MetadataRules.Check(errors, command.Metadata.Value);
        return errors.ToProblem();
    }

    /// <summary>
    /// Appends the policy's new values under its stream's lock; a request that changes nothing appends nothing. Licenses
    /// read their policy with themselves on every request, so the change holds for all of them from this answer on.
    /// </summary>
    [WolverinePatch("/api/v1/policies/{id}", OperationId = "updatePolicy", Summary = "Change a policy (all its licenses at once)")]
    [Authorize(Scopes.ProductsWrite)]
    [Refuses(409, "The policy has been deleted.")]
    [RetryOnContention]
    public static (Resource<PolicyDetails>, Events) Patch(UpdatePolicy command,
        [Aggregate("id", LoadStyle = ConcurrencyStyle.Exclusive)] Policy policy, NamedEntitlements entitlements, TimeProvider time)
    {
        var name = command.Name.Or(policy.Name)!;
        var terms = command.Patched(policy.Terms, entitlements);
        var metadata = command.Metadata.IsPresent ? command.Metadata.Value ?? [] : policy.Metadata;
        if (name == policy.Name && Same(terms, policy.Terms) && MetadataRules.Same(metadata, policy.Metadata))
            return (new Resource<PolicyDetails>(PolicyDetails.From(policy)), []);

        var updated = new PolicyUpdated(policy.Id, policy.ProductId, name, terms, metadata, time.UtcNow());
        return (new Resource<PolicyDetails>(PolicyDetails.From(policy.Apply(updated))), [updated]);
    }

    private static bool Same(PolicyTerms a, PolicyTerms b) => a with { Entitlements = [] } == b with { Entitlements = [] }
                                                              && a.Entitlements.SequenceEqual(b.Entitlements);
}
