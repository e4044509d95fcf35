using Catalog.Activity;
using Catalog.Machines;
using Catalog.Http;
using System.ComponentModel;
using System.Security.Claims;
using Catalog.Conventions;
using Catalog.Licenses;
using Catalog.Products;

namespace Catalog.Validation;

public record ValidateThisLicense(
    [property: StringLength(MachineFingerprint.MaxLength, MinimumLength = 1),
               Description("This machine's fingerprint: the license is valid only if it is one of its active machines.")]
    string? Fingerprint,
    [property: RegularExpression(ProductRules.CodePattern), Description(LicensedProduct.Description)]
    string? Product = null,
    [property: MaxLength(Entitlements.NamedEntitlements.MaxCount), Description(AskedEntitlements.Description)]
    List<string?>? Entitlements = null)
{
    [System.Text.Json.Serialization.JsonIgnore] public ValidationQuestion Question => new(Fingerprint, Product, Entitlements?.OfType<string>().ToList());
}

/// <summary>The verdict as the software on a machine sees it: its own license, and its own machine when it gave a fingerprint.</summary>
[SchemaName("ClientValidation")]
public record ClientLicenseValidation(
    bool Valid,
    [property: AllowedValues(ValidationCodes.Valid, ValidationCodes.ProductMismatch, ValidationCodes.ProductDeleted, ValidationCodes.Revoked, ValidationCodes.Suspended,
        ValidationCodes.Expired, ValidationCodes.NotActivated, ValidationCodes.HeartbeatDead, ValidationCodes.EntitlementsMissing)]
    string Code,
    LicenseDetails License,
    MachineDetails? Machine);

/// <summary>
/// What the software a vendor ships may ask with its license key alone: its own license, and whether it may run
/// here. Never another license, and never another machine's fingerprint.
/// </summary>
[Tags("Client")]
public static class GetThisLicenseEndpoint
{
    public static ProblemDetails Validate(HttpRequest request, string? product) =>
        MachineFingerprint.CheckClientRequest(request.Query, ["product"], null, product);

    [WolverineGet("/api/v1/client/license", OperationId = "getThisLicense", Summary = "Get this license (license key)")]
    [Authorize(CatalogClaims.LicenseKeyPolicy)]
    [Refuses(403, "The license is another product's: `code` is PRODUCT_MISMATCH.")]
    [ReadOnPrimary, ProducesResponseType<Resource<LicenseDetails>>(200)]
    public static async Task<IResult> Get([Description(LicensedProduct.Description)] string? product, ClaimsPrincipal user,
        IQuerySession session, LicenseInOneRead licenses, TimeProvider time, CancellationToken token)
    {
        if (await licenses.ById(session, user.License(), null, token) is not { } found)
            return Results.Problem(Problems.Status(404, "No such license."));
        if (product is not null && LicensedProduct.Mismatches(found.Product, product))
            return Results.Problem(LicensedProduct.Refusal());
        return Results.Json(new Resource<LicenseDetails>(LicenseDetails.From(found.License, found.Policy, time.GetUtcNow())), ApiJson.Options);
    }
}

/// <summary>The product a license key is for, as its holder may see it: no account, metadata or sales figures.</summary>
[SchemaName("ClientProduct")]
public record ThisProduct(Guid Id, string Name, string Code, DateTimeOffset? DeletedAt);

/// <summary>The product of the caller's license: what the holder's portal names it by.</summary>
[Tags("Client")]
public static class GetThisProductEndpoint
{
    public static ProblemDetails Validate(HttpRequest request, string? product) =>
        MachineFingerprint.CheckClientRequest(request.Query, ["product"], null, product);

    [WolverineGet("/api/v1/client/product", OperationId = "getThisProduct", Summary = "Get this license's product (license key)")]
    [Authorize(CatalogClaims.LicenseKeyPolicy)]
    [Refuses(403, "The license is another product's: `code` is PRODUCT_MISMATCH.")]
    [ReadOnPrimary, ProducesResponseType<Resource<ThisProduct>>(200)]
    public static async Task<IResult> Get([Description(LicensedProduct.Description)] string? product, ClaimsPrincipal user,
        IQuerySession session, LicenseInOneRead licenses, CancellationToken token)
    {
        if (await licenses.ById(session, user.License(), null, token) is not { Product: { } found })
            return Results.Problem(Problems.Status(404, "No such license."));
        if (product is not null && LicensedProduct.Mismatches(found, product))
            return Results.Problem(LicensedProduct.Refusal());
        return Results.Json(new Resource<ThisProduct>(new(found.Id, found.Name, found.Code, found.DeletedAt)), ApiJson.Options);
    }
}

[Tags("Client")]
public static class ValidateThisLicenseEndpoint
{
    /// <summary>Its product travels in the body: a query (say <c>?product=</c>) is refused, never taken for the check.</summary>
    public static ProblemDetails Validate(HttpRequest request, ValidateThisLicense? command)
    {
        if (MachineFingerprint.CheckClientRequest(request.Query, [], command?.Fingerprint, command?.Product) is { Status: 400 } refused) return refused;
        var errors = new ValidationErrors();
        AskedEntitlements.Check(errors, command?.Entitlements);
        return errors.ToProblem();
    }

    /// <summary>As the vendor's validate, for the caller's own license: always 200 for a well-formed request.</summary>
    [WolverinePost("/api/v1/client/validate", OperationId = "validateThisLicense", Summary = "Validate this license (license key)")]
    [Authorize(CatalogClaims.LicenseKeyPolicy)]
    [ReadSentAsPost, ReadOnPrimary]
    public static async Task<Resource<ClientLicenseValidation>> Post(ValidateThisLicense? command, ClaimsPrincipal user, IQuerySession session,
        LicenseInOneRead licenses, IDocumentStore store, ValidationTally tally, TimeProvider time, CancellationToken token)
    {
        var question = command?.Question ?? ValidationQuestion.None;
        var found = await licenses.ById(session, user.License(), command?.Fingerprint, token)
                    ?? throw new InvalidOperationException("An authenticated license key names a license that does not exist");
        found = (await FirstValidation.StartClock(found, question, store, session.TenantId, time, token))!;
        var now = time.GetUtcNow();
        tally.Count(session.TenantId, found.License.ProductId, now); // the product's chart (Activity/)
        var verdict = LicenseVerdict.Judge(found.License, found.Product, found.Policy, now, question, found.FingerprintKnown,
            found.MachineDeadAt(now));
        return new(new ClientLicenseValidation(verdict.Valid, verdict.Code, verdict.License!,
            found.Machine is null ? null : MachineDetails.From(found.Machine, found.Heartbeat, found.Policy)));
    }
}
