using System.ComponentModel;
using System.Security.Claims;
using Catalog.Conventions;
using Catalog.Http;
using Catalog.Licenses;
using Catalog.Policies;
using License = Catalog.Licenses.License;

namespace Catalog.Machines;

// Self-service seats: the software on a new machine lists its license's machines and frees the seat of a lost one, in
// one call, with the license key alone. It never sees another machine's fingerprint (a fingerprint may be a
// hardware id, and it is what a copied key would need to pass as that machine).

/// <summary>Another machine of the license as the software on a machine sees it: never its fingerprint.</summary>
[SchemaName("ClientMachine")]
public record ClientMachineDetails(Guid Id, string? Name, DateTimeOffset ActivatedAt,
    [property: Description("Its last heartbeat; null before the first.")] DateTimeOffset? LastHeartbeatAt)
{
    public static ClientMachineDetails From(Machine m, MachineHeartbeat? beat, Policy? policy) => new(m.Id, m.Name, m.ActivatedAt, beat?.LastAt);
}

/// <summary>A client's page of its machines: the page, and the product the software is.</summary>
public record ClientMachinesPage : PageRequest
{
    [FromQuery(Name = "product"), Description(LicensedProduct.Description)]
    public string? Product { get; set; }
}

[Tags("Client")]
public static class ListTheseMachinesEndpoint
{
    public static ProblemDetails Validate(ClientMachinesPage page) => MachineFingerprint.CheckIfGiven(null, page.Product);

    /// <summary>The license's active machines, newest first, with their names and last heartbeats (never their fingerprints).</summary>
    [WolverineGet("/api/v1/client/machines", OperationId = "listTheseMachines", Summary = "List this license's machines (license key)")]
    [ReadOnPrimary] // the software lists its machines straight after activating one: its own writes, on the primary
    [Authorize(CatalogClaims.LicenseKeyPolicy)]
    [ProducesResponseType<Page<ClientMachineDetails>>(200)]
    [Refuses(403, "The license is another product's: `code` is PRODUCT_MISMATCH.")]
    public static async Task<IResult> Get([AsParameters] ClientMachinesPage page, ClaimsPrincipal user, IQuerySession session,
        CancellationToken token)
    {
        var product = page.Product;
        var license = await session.LoadAsync<License>(user.License(), token)
                      ?? throw new InvalidOperationException("An authenticated license key names a license that does not exist");
        if (product is not null && LicensedProduct.Mismatches(await session.LoadAsync<Products.Product>(license.ProductId, token), product))
            return Results.Problem(LicensedProduct.Refusal());
        var machines = await session.Query<Machine>().Where(x => x.LicenseId == license.Id && x.DeactivatedAt == null)
            .NewestFirst(page, x => x.Id, x => x, token);
        return Results.Json(await machines.WithHeartbeats(session, license, ClientMachineDetails.From, token), ApiJson.Options);
    }
}

[Tags("Client")]
public static class DeactivateThatMachineEndpoint
{
    public static ProblemDetails Validate(HttpRequest request, string? product) =>
        MachineFingerprint.CheckClientRequest(request.Query, ["product"], null, product);

    /// <summary>
    /// The software frees the seat of another machine of its license (the lost laptop), by the id the list shows: under
    /// the same rules as by fingerprint (a license file given for it holds its seat until it expires). 404 when no active
    /// machine of this license has that id.
    /// </summary>
    [WolverineDelete("/api/v1/client/machines/by-id/{id}", OperationId = "deactivateThatMachine", Summary = "Deactivate a machine of this license by id (license key)")]
    [Authorize(CatalogClaims.LicenseKeyPolicy)]
    [RetryOnContention]
    [ProducesResponseType(204)]
    [Refuses(403, "The license is another product's: `code` is PRODUCT_MISMATCH.")]
    public static Task<IResult> Delete(Guid id, [Description(LicensedProduct.Description)] string? product, ClaimsPrincipal user,
        IDocumentSession session, TimeProvider time, CancellationToken token) =>
        Release.Deactivate(user.License(), x => x.MachineId == id, session, time, token, product);
}
