using System.ComponentModel;
using Catalog.Http;
using Catalog.Accounts;
using Catalog.Conventions;

namespace Catalog.Entitlements;

/// <summary>Any of the mutable fields; a field left out stays as it is. <c>code</c> may be sent only unchanged.</summary>
public record UpdateEntitlement(
    [property: StringLength(EntitlementRules.NameMaxLength, MinimumLength = 1)] Optional<string> Name,
    [property: Description("Only the entitlement's own code, unchanged: codes are immutable.")] Optional<string> Code,
    [property: Description("Replaced whole; null empties it.")] Optional<Dictionary<string, JsonElement>> Metadata);

[Tags("Entitlements")]
public static class UpdateEntitlementEndpoint
{
    public static ProblemDetails Validate(UpdateEntitlement command, Entitlement entitlement)
    {
        var errors = new ValidationErrors();
        if (command.Name.IsPresent) EntitlementRules.Name(errors, command.Name.Value);
        if (command.Code.IsPresent && command.Code.Value != entitlement.Code) errors.Add("code", "cannot be changed after the entitlement is created");
        if (command.Metadata.IsPresent) MetadataRules.Check(errors, command.Metadata.Value);
        return errors.ToProblem();
    }

    /// <summary>Appends the new values under the stream's lock; a request that changes nothing appends nothing.</summary>
    [WolverinePatch("/api/v1/entitlements/{id}", OperationId = "updateEntitlement", Summary = "Change an entitlement")]
    [Authorize(Scopes.ProductsWrite)]
    [RetryOnContention]
    public static (Resource<EntitlementDetails>, Events) Patch(UpdateEntitlement command,
        [Aggregate("id", LoadStyle = ConcurrencyStyle.Exclusive)] Entitlement entitlement, TimeProvider time)
    {
        var name = command.Name.Or(entitlement.Name)!;
        var metadata = command.Metadata.IsPresent ? command.Metadata.Value ?? [] : entitlement.Metadata;
        if (name == entitlement.Name && MetadataRules.Same(metadata, entitlement.Metadata))
            return (new Resource<EntitlementDetails>(EntitlementDetails.From(entitlement)), []);

        var updated = new EntitlementUpdated(entitlement.Id, name, metadata, time.UtcNow());
        return (new Resource<EntitlementDetails>(EntitlementDetails.From(entitlement.Apply(updated))), [updated]);
    }
}
