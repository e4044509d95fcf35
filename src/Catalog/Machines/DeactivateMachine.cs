using Catalog.Http;
using System.Security.Claims;
using Catalog.Accounts;
using Catalog.Conventions;
using Catalog.Licenses;

namespace Catalog.Machines;

public static class Release
{
    /// <summary>
    /// The decision: the machine active with that fingerprint (or id) leaves; a license file given for it that is still
    /// valid keeps its seat taken until it expires, unless the vendor forces the seat free. Forced, a seat held by an
    /// already deactivated machine is freed too. None such: nothing happens (null).
    /// </summary>
    public static IReadOnlyList<object>? Decide(LicenseSeats seats, License license, Func<Seat, bool> which, DateTimeOffset now,
        bool force = false, string reason = DeactivationReasons.Client)
    {
        var expired = seats.ExpiredAt(now);
        object? change = null;
        if (seats.Active.FirstOrDefault(which) is { } seat)
            change = new MachineDeactivated(seat.MachineId, license.Id, license.ProductId, seat.Fingerprint, now,
                !force && seat.FileExpiresAt > now ? seat.FileExpiresAt : null, reason);
        else if (force && seats.Held.FirstOrDefault(x => x.Until > now && which(new Seat(x.MachineId, x.Fingerprint))) is { } held)
            expired.Add(new SeatHold(held.MachineId, held.Until));
        else
            return null;

        List<object> events = expired.Count == 0 ? [] : [new SeatsFreed(license.Id, license.ProductId, expired, now)];
        if (change is not null) events.Add(change);
        return events;
    }

    /// <summary>Under the license stream's lock, as activation: the seat is free for the next activation at once.</summary>
    public static async Task<IResult> Deactivate(Guid licenseId, Func<Seat, bool> which, IDocumentSession session,
        TimeProvider time, CancellationToken token, string? productCode = null, bool force = false, string reason = DeactivationReasons.Client)
    {
        var (stream, seats, license) = await LicenseStream.Lock(session, licenseId, token);
        if (license is not null && productCode is not null
            && LicensedProduct.Mismatches(await session.LoadAsync<Products.Product>(license.ProductId, token), productCode))
            return Results.Problem(LicensedProduct.Refusal());
        if (license is null || Decide(seats, license, which, time.UtcNow(), force, reason) is not { } events)
            return Results.Problem(Problems.Status(404, force ? "No such machine holding a seat." : "No such active machine."));
        stream.AppendMany(events);
        return Results.NoContent();
    }
}

[Tags("Machines")]
public static class DeactivateMachineEndpoint
{
    public static ProblemDetails Validate(HttpRequest request) => QueryParameters.Only(request.Query, "force");

    /// <summary>
    /// Frees a customer's seat: the machine leaves the license. A license file given for it keeps the seat taken until
    /// the file expires; with <c>force=true</c> the seat is free at once (also one held by a machine deactivated
    /// earlier), and the vendor accepts that the file may still run offline until it expires. 404 when it holds no seat.
    /// </summary>
    [WolverineDelete("/api/v1/machines/{id}", OperationId = "deactivateMachine", Summary = "Deactivate a machine")]
    [Authorize(Scopes.LicensesWrite)]
    [RetryOnContention]
    [ProducesResponseType(204)]
    public static Task<IResult> Delete([Document("id")] Machine machine,
        [System.ComponentModel.Description("Free the seat at once, even while a license file given for the machine is valid.")] bool? force,
        IDocumentSession session, TimeProvider time, CancellationToken token) =>
        Release.Deactivate(machine.LicenseId, x => x.MachineId == machine.Id, session, time, token, force: force == true,
            reason: DeactivationReasons.Vendor);
}

[Tags("Client")]
public static class DeactivateThisMachineEndpoint
{
    public static ProblemDetails Validate(HttpRequest request, string? product) =>
        MachineFingerprint.CheckClientRequest(request.Query, ["product"], null, product);

    /// <summary>The software on a machine gives its seat back (on uninstall, say). 404 when that fingerprint is not active.</summary>
    [WolverineDelete("/api/v1/client/machines/{fingerprint}", OperationId = "deactivateThisMachine", Summary = "Deactivate this machine (license key)")]
    [Authorize(CatalogClaims.LicenseKeyPolicy)]
    [RetryOnContention]
    [ProducesResponseType(204)]
    [Refuses(403, "The license is another product's: `code` is PRODUCT_MISMATCH.")]
    public static Task<IResult> Delete(string fingerprint, [System.ComponentModel.Description(LicensedProduct.Description)] string? product,
        ClaimsPrincipal user, IDocumentSession session, TimeProvider time, CancellationToken token)
    {
        var decoded = MachineFingerprint.FromPath(fingerprint);
        return Release.Deactivate(user.License(), x => x.Fingerprint == fingerprint || x.Fingerprint == decoded, session, time, token, product);
    }
}
