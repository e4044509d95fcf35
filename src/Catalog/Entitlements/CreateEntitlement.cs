using System.ComponentModel;
using Catalog.Http;
using Catalog.Accounts;
using Catalog.Conventions;

namespace Catalog.Entitlements;

/// <summary>A new entitlement.</summary>
[SchemaExample("""{"code": "export-pdf", "name": "Export to PDF", "metadata": {}}""")]
public record CreateEntitlement(
    [property: Required, RegularExpression(EntitlementRules.CodePattern), Description(EntitlementRules.CodeRule)] string? Code,
    [property: Required, StringLength(EntitlementRules.NameMaxLength, MinimumLength = 1)] string? Name,
    Dictionary<string, JsonElement>? Metadata);

[Tags("Entitlements")]
public static class CreateEntitlementEndpoint
{
    public static ProblemDetails Validate(CreateEntitlement command)
    {
        var errors = new ValidationErrors();
        EntitlementRules.Code(errors, command.Code);
        EntitlementRules.Name(errors, command.Name);
        MetadataRules.Check(errors, command.Metadata);
        return errors.ToProblem();
    }

    /// <summary>Starts the entitlement's stream; the unique index on (account, lower(code)) refuses a taken code at commit.</summary>
    [WolverinePost("/api/v1/entitlements", OperationId = "createEntitlement", Summary = "Create an entitlement")]
    [Authorize(Scopes.ProductsWrite)]
    [Refuses(409, "The code is already taken in this account.")]
    public static (CreatedResource<EntitlementDetails>, IStartStream) Post(CreateEntitlement command, TimeProvider time)
    {
        var created = new EntitlementCreated(Guid.CreateVersion7(), command.Code!, command.Name!, command.Metadata ?? [], time.UtcNow());
        return (new CreatedResource<EntitlementDetails>(EntitlementDetails.From(Entitlement.Create(created))),
            MartenOps.StartStream<Entitlement>(created.EntitlementId, created));
    }

    public static ProblemDetails OnException(Exception e, CreateEntitlement command) =>
        Problems.Status(409, $"The code '{command.Code}' is already taken in this account.");

    public static bool OnExceptionFilter(Exception e) => e.IsUniqueViolationOf(EntitlementsConfiguration.CodeIndex);
}
