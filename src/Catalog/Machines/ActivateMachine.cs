using Catalog.Http;
using System.Security.Claims;
using Catalog.Accounts;
using Catalog.Conventions;
using Catalog.Licenses;
using Catalog.Policies;
using Catalog.Products;

namespace Catalog.Machines;

/// <summary>
/// Activation, for both callers: the software on the machine (license key) and the vendor on its customer's behalf
/// (API key). It takes the license stream's lock, reads the license and its active machines under it, decides
/// (<see cref="MachineRules.Activate"/>), and appends; Wolverine commits. Concurrent activations of one license
/// queue on that lock, so exactly as many as the license allows succeed; a first activation racing another to
/// start the license's stream loses with a stream collision and runs again under the lock.
/// </summary>
public static class Seats
{
    public static async Task<IResult> Activate(Guid licenseId, ActivateMachine command, IDocumentSession session, HeartbeatRows heartbeats,
        TimeProvider time, CancellationToken token)
    {
        var activation = await Decide(licenseId, command, session, heartbeats, time, token);
        if (activation is not { Decision: var decision, Policy: var policy }) return Results.Problem(Problems.Status(404, "No such license."));
        if (decision.Refusal is { } refusal) return Results.Problem(refusal);
        activation.Stream.AppendMany(decision.Events);
        if (decision.AlreadyActive is { } seat)
            return Results.Json(new Resource<MachineDetails>(await Existing(session, licenseId, seat, policy, token)), ApiJson.Options);
        return Results.Json(new Resource<MachineDetails>(MachineDetails.From(decision.Activated!, policy)), ApiJson.Options, statusCode: 201);
    }

    /// <summary>
    /// Takes the lock, reads and decides (the caller appends the decision's events): the activation's decision and what it
    /// was made on; null when there is no such license. Under a heartbeat rule the license's heartbeat rows are read for
    /// update under the same lock: dead machines hold no seat, and their deaths are recorded with the activation.
    /// </summary>
    public static async Task<DecidedActivation?> Decide(Guid licenseId, ActivateMachine command, IDocumentSession session,
        HeartbeatRows heartbeats, TimeProvider time, CancellationToken token)
    {
        var (stream, seats, license) = await LicenseStream.Lock(session, licenseId, token);
        if (license is null) return null;
        // Read after the lock: activations of one license are stamped in the order they commit, so the one that starts
        // a license's clock is also the earliest activated.
        var now = time.UtcNow();
        var product = await session.LoadAsync<Product>(license.ProductId, token);
        var policy = await session.PolicyOf(license.PolicyId, token);
        var trial = policy?.Terms.Trial == true ? await Trials.Of(session, license.ProductId, command.Fingerprint!, token) : null;
        var beats = policy?.Terms.HeartbeatSeconds is null ? null : await heartbeats.ForUpdate(session, licenseId, token);

        var decision = MachineRules.Activate(command, license, product, seats, now, policy, trial, beats);
        // The license as the activation leaves it (a first activation may start its clock).
        var after = decision.Events.OfType<LicenseUpdated>().Aggregate(license, (current, e) => current.Apply(e));
        return new(decision, after, product, policy, stream, now);
    }

    /// <summary>The machine already active on that seat (projected in the transaction that took it: it is there).</summary>
    public static async Task<MachineDetails> Existing(IQuerySession session, Guid licenseId, Seat seat, Policy? policy, CancellationToken token)
    {
        var active = await session.LoadAsync<Machine>(seat.MachineId, token)
                     ?? throw new InvalidOperationException($"Seat {seat.MachineId} of license {licenseId} has no machine document");
        return MachineDetails.From(active, await session.LoadAsync<MachineHeartbeat>(seat.MachineId, token), policy);
    }
}

/// <summary>An activation decided, with the license as it leaves it, its product, policy, stream (locked, to append to) and the time it was decided at.</summary>
public sealed record DecidedActivation(Activation Decision, License License, Product? Product, Policy? Policy,
    JasperFx.Events.IEventStream<LicenseSeats> Stream, DateTimeOffset Now)
{
    /// <summary>The seat the machine holds after it: the new machine's, or the one already active.</summary>
    public Seat? Seat => Decision.Activated is { } a ? new Seat(a.MachineId, a.Fingerprint) : Decision.AlreadyActive;
}

[Tags("Machines")]
public static class ActivateMachineEndpoint
{
    public static ProblemDetails Validate(ActivateMachine command) => MachineRules.Check(command);

    /// <summary>Activates a machine on a customer's behalf, by the rules the software on the machine meets.</summary>
    [WolverinePost("/api/v1/licenses/{id}/machines", OperationId = "activateMachine", Summary = "Activate a machine on a license")]
    [Authorize(Scopes.LicensesWrite)]
    [IdempotentByNature]
    [RetryOnContention(Trials.Index)] // two first trials of one fingerprint at once: the loser runs again, and is refused
    [ProducesResponseType<Resource<MachineDetails>>(201)]
    [ProducesResponseType<Resource<MachineDetails>>(200, Description = "The fingerprint was already active: the same machine.")]
    [Refuses(403, "The license cannot be used: `code` is REVOKED, PRODUCT_DELETED, SUSPENDED or EXPIRED.")]
    [Refuses(409, "Every seat is taken: `code` is MACHINE_LIMIT_REACHED; or this machine had its trial of the product: TRIAL_ALREADY_USED.")]
    public static Task<IResult> Post(ActivateMachine command, [Document("id")] License license, IDocumentSession session,
        HeartbeatRows heartbeats, TimeProvider time, CancellationToken token) =>
        Seats.Activate(license.Id, command, session, heartbeats, time, token);
}

[Tags("Client")]
public static class ActivateThisMachineEndpoint
{
    /// <summary>Its product travels in the body: a query (say <c>?product=</c>) is refused, never taken for the check.</summary>
    public static ProblemDetails Validate(HttpRequest request, ActivateMachine command) =>
        QueryParameters.Only(request.Query) is { Status: 400 } refused ? refused : MachineRules.Check(command);

    /// <summary>
    /// The software on a machine activates it with its license key. Idempotent by fingerprint: activating an
    /// active fingerprint again answers 200 with the same machine.
    /// </summary>
    [WolverinePost("/api/v1/client/machines", OperationId = "activateThisMachine", Summary = "Activate this machine (license key)")]
    [Authorize(CatalogClaims.LicenseKeyPolicy)]
    [IdempotentByNature]
    [RetryOnContention(Trials.Index)] // two first trials of one fingerprint at once: the loser runs again, and is refused
    [ProducesResponseType<Resource<MachineDetails>>(201)]
    [ProducesResponseType<Resource<MachineDetails>>(200, Description = "The fingerprint was already active: the same machine.")]
    [Refuses(403, "The license cannot be used: `code` is PRODUCT_DELETED, SUSPENDED or EXPIRED.")]
    [Refuses(409, "Every seat is taken: `code` is MACHINE_LIMIT_REACHED; or this machine had its trial of the product: TRIAL_ALREADY_USED.")]
    public static Task<IResult> Post(ActivateMachine command, ClaimsPrincipal user, IDocumentSession session, HeartbeatRows heartbeats,
        TimeProvider time, CancellationToken token) =>
        Seats.Activate(user.License(), command, session, heartbeats, time, token);
}
