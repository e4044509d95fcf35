using System.Security.Claims;
using Catalog.Accounts;
using Catalog.Conventions;
using Catalog.Hosting;
using Catalog.Licenses;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;
using Wolverine.Http.Marten;

namespace Catalog.Machines;

public static class Release
{
    /// <summary>The decision: the machine active with that fingerprint (or id) leaves; none such, nothing happens.</summary>
    public static MachineDeactivated? Decide(LicenseSeats seats, License license, Func<Seat, bool> which, DateTimeOffset now) =>
        seats.Active.FirstOrDefault(which) is { } seat
            ? new MachineDeactivated(seat.MachineId, license.Id, license.ProductId, seat.Fingerprint, now)
            : null;

    /// <summary>Under the license stream's lock, as activation: the seat is free for the next activation at once.</summary>
    public static async Task<IResult> Deactivate(Guid licenseId, Func<Seat, bool> which, IDocumentSession session,
        TimeProvider time, CancellationToken token)
    {
        var (stream, seats, license) = await LicenseStream.Lock(session, licenseId, token);
        if (license is null || Decide(seats, license, which, time.UtcNow()) is not { } deactivated)
            return Results.Problem(Problems.Status(404, "No such active machine."));
        stream.AppendOne(deactivated);
        return Results.NoContent();
    }
}

[Tags("Machines")]
public static class DeactivateMachineEndpoint
{
    /// <summary>Frees a customer's seat: the machine leaves the license. 404 when it is not active (any more).</summary>
    [WolverineDelete("/api/v1/machines/{id}", OperationId = "deactivateMachine", Summary = "Deactivate a machine")]
    [Authorize(Scopes.LicensesWrite)]
    [RetryOnContention]
    [ProducesResponseType(204)]
    public static Task<IResult> Delete([Document("id")] Machine machine, IDocumentSession session, TimeProvider time, CancellationToken token) =>
        Release.Deactivate(machine.LicenseId, x => x.MachineId == machine.Id, session, time, token);
}

[Tags("Client")]
public static class DeactivateThisMachineEndpoint
{
    /// <summary>The software on a machine gives its seat back (on uninstall, say). 404 when that fingerprint is not active.</summary>
    [WolverineDelete("/api/v1/client/machines/{fingerprint}", OperationId = "deactivateThisMachine", Summary = "Deactivate this machine (license key)")]
    [Authorize(CatalogClaims.LicenseKeyPolicy)]
    [RetryOnContention]
    [ProducesResponseType(204)]
    public static Task<IResult> Delete(string fingerprint, ClaimsPrincipal user, IDocumentSession session, TimeProvider time, CancellationToken token)
    {
        // ASP.NET Core decodes a path segment except its %2F: a fingerprint with '/' (base64) arrives still encoded.
        var decoded = fingerprint.Replace("%2F", "/", StringComparison.OrdinalIgnoreCase);
        return Release.Deactivate(user.License(), x => x.Fingerprint == fingerprint || x.Fingerprint == decoded, session, time, token);
    }
}
