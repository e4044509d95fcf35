using System.ComponentModel;
using System.Security.Claims;
using Catalog.Conventions;
using Catalog.Http;
using Catalog.Licenses;
using Catalog.Machines;
using Catalog.Products;
using Catalog.Validation;

namespace Catalog.Heartbeats;

public record SendHeartbeat(
    [property: RegularExpression(ProductRules.CodePattern), Description(LicensedProduct.Description)]
    string? Product = null);

/// <summary>A heartbeat's answer: the machine, and until when it holds its seat without another heartbeat.</summary>
[SchemaName("Heartbeat")]
public record HeartbeatDetails(
    MachineDetails Machine,
    [property: Description("Send the next heartbeat before then: after, the machine holds no seat. Null without a heartbeat rule.")]
    DateTimeOffset? HeartbeatExpiresAt);

[Tags("Client")]
public static class SendHeartbeatEndpoint
{
    /// <summary>Its product travels in the body: a query (say <c>?product=</c>) is refused, never taken for the check.</summary>
    public static ProblemDetails Validate(HttpRequest request, string fingerprint, SendHeartbeat? command) =>
        MachineFingerprint.CheckClientRequest(request.Query, [], MachineFingerprint.FromPath(fingerprint), command?.Product);

    /// <summary>
    /// The software on an active machine says it still runs: under a <c>heartbeatSeconds</c> rule it sends one within
    /// that many seconds of its activation or its last heartbeat, or its seat is free. A heartbeat is an observation,
    /// not a change: no event, and the machine's one heartbeat row rewritten in place (two statements: the license's one
    /// read, then the write). A machine past its heartbeatExpiresAt is a 404 HEARTBEAT_DEAD: the software activates again.
    /// </summary>
    [WolverinePost("/api/v1/client/machines/{fingerprint}/heartbeat", OperationId = "sendHeartbeat", Summary = "Send a heartbeat (license key)")]
    [Authorize(CatalogClaims.LicenseKeyPolicy)]
    [IdempotentByNature] // a heartbeat again is a heartbeat: nothing to store per request
    [ReadOnPrimary]      // its read through a plain query session; its write opens a session of its own
    [Refuses(403, "`code` is PRODUCT_MISMATCH, PRODUCT_DELETED, SUSPENDED or EXPIRED.")]
    [Refuses(404, "`code` is NOT_ACTIVATED (no active machine with that fingerprint) or HEARTBEAT_DEAD (it missed its heartbeat): activate again.")]
    public static async Task<IResult> Post(string fingerprint, SendHeartbeat? command, ClaimsPrincipal user, IQuerySession session,
        LicenseInOneRead licenses, HeartbeatRows rows, IDocumentStore store, TimeProvider time, CancellationToken token)
    {
        var found = await licenses.ById(session, user.License(), MachineFingerprint.FromPath(fingerprint), token)
                    ?? throw new InvalidOperationException("An authenticated license key names a license that does not exist");
        var now = time.UtcNow();
        if (LicensedProduct.Mismatches(found.Product, command?.Product)) return Results.Problem(LicensedProduct.Refusal());
        if (found.License.UnusableBecause(found.Product, now) is { } code)
            return Results.Problem(Problems.Refusal(403, code, $"The license cannot be used: {code}."));
        if (found.RecordedDead) return Results.Problem(HeartbeatRules.Dead());
        if (found.Machine is not { } machine)
            return Results.Problem(Problems.Refusal(404, ValidationCodes.NotActivated, "No active machine of the license has this fingerprint."));

        MachineHeartbeat beat;
        if (found.Heartbeat is null)
        {
            // A machine activated before heartbeats were recorded: its clock starts at this first heartbeat.
            beat = HeartbeatRules.Stamped(new MachineHeartbeat(machine.Id, machine.LicenseId, machine.ActivatedAt) { LastAt = now }, found.Policy);
            await using var write = store.LightweightSession(session.TenantId);
            write.Store(beat);
            await write.SaveChangesAsync(token);
        }
        else
        {
            var (next, refusal) = HeartbeatRules.Beat(found.Heartbeat, found.Policy, now);
            if (refusal is not null) return Results.Problem(refusal);
            // Gone since the read: the machine was recorded dead (or deactivated) in between.
            if (!await rows.Write(session, next!, token)) return Results.Problem(HeartbeatRules.Dead());
            beat = next!;
        }
        return Results.Json(new Resource<HeartbeatDetails>(new(MachineDetails.From(machine, beat, found.Policy), beat.ExpiresAt)),
            ApiJson.Options);
    }
}
