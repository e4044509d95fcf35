using System.ComponentModel;
using Catalog.Conventions;
using Catalog.Licenses;
using Catalog.Policies;
using Catalog.Products;
using License = Catalog.Licenses.License;

namespace Catalog.Machines;

public record ActivateMachine(
    [property: Required, StringLength(MachineFingerprint.MaxLength, MinimumLength = 1),
               Description("The installation's stable id, unique among the license's active machines: 1-255 printable characters.")]
    string? Fingerprint,
    [property: MaxLength(MachineRules.NameMaxLength)] string? Name,
    Dictionary<string, JsonElement>? Metadata,
    [property: RegularExpression(ProductRules.CodePattern), Description(LicensedProduct.Description)]
    string? Product = null);

/// <summary>
/// The outcome of an activation: a new machine (and the events appended with it), the one already active with that
/// fingerprint, or a refusal.
/// </summary>
public sealed record Activation(MachineActivated? Activated, Seat? AlreadyActive, ProblemDetails? Refusal)
{
    /// <summary>Everything to append, in order: held seats freed first, then the machine, then the file it inherits.</summary>
    public IReadOnlyList<object> Events { get; init; } = Activated is null ? [] : [Activated];
}

public static class MachineRules
{
    /// <summary>The <c>code</c> of the 409 when every seat is taken.</summary>
    public const string MachineLimitReached = "MACHINE_LIMIT_REACHED";

    public const int NameMaxLength = 255;

    public static ProblemDetails Check(ActivateMachine command)
    {
        var errors = new ValidationErrors();
        MachineFingerprint.Check(errors, command.Fingerprint);
        if (command.Name is not null)
        {
            if (Text.Length(command.Name) > NameMaxLength) errors.Add("name", $"must be at most {NameMaxLength} characters");
            else if (!Text.IsStorable(command.Name)) Text.MustBeStorable(errors, "name", command.Name);
        }
        MetadataRules.Check(errors, command.Metadata);
        LicensedProduct.CheckIfGiven(errors, command.Product);
        return errors.ToProblem();
    }

    /// <summary>
    /// The decision, made under the license stream's lock on what it holds: a license of another product than the one
    /// named is a 403 PRODUCT_MISMATCH; a license that cannot be used is a 403 naming why; a fingerprint already active is that machine again
    /// (activation is idempotent); under a trial policy, a fingerprint that had a trial of the product on another license is a 409; a full
    /// license is a 409 (the limit in force: the license's own, else its policy's); otherwise a new machine takes a seat.
    /// Under a heartbeat rule, machines past their heartbeatExpiresAt hold no seat: their deaths are recorded first, in
    /// the same transaction (<paramref name="beats"/>: the license's heartbeat rows, read under the same lock).
    /// </summary>
    public static Activation Activate(ActivateMachine command, License license, Product? product, LicenseSeats seats, DateTimeOffset now,
        Policy? policy = null, TrialUse? trialOfFingerprint = null, IReadOnlyDictionary<Guid, MachineHeartbeat>? beats = null)
    {
        if (LicensedProduct.Mismatches(product, command.Product)) return new(null, null, LicensedProduct.Refusal());
        if (license.UnusableBecause(product, now) is { } code)
            return new(null, null, Problems.Refusal(403, code, $"The license cannot be activated: {code}."));
        var deaths = beats is null ? [] : HeartbeatRules.Deaths(seats, beats, license, policy, now);
        // The installation whose machine just died comes back (a laptop woken from sleep): the seat its file holds, and
        // the file's hold, go to its new machine rather than staying taken against it.
        DateTimeOffset? inherited = null;
        for (var i = 0; i < deaths.Count; i++)
            if (deaths[i] is MachineDeactivated { SeatHeldUntil: { } until } died && died.Fingerprint == command.Fingerprint)
            {
                inherited = until;
                deaths[i] = died with { SeatHeldUntil = null };
            }
        var dead = deaths.OfType<MachineDeactivated>().Select(x => x.MachineId).ToHashSet();
        if (seats.Holding(command.Fingerprint!) is { } active && !dead.Contains(active.MachineId)) return new(null, active, null);
        // The seats dead machines free: those whose files (if any) have expired; a valid file holds its seat on.
        var freed = deaths.OfType<MachineDeactivated>().Count(x => x.SeatHeldUntil is null);
        // A trial policy: one trial per product for an installation, whatever license it comes back with.
        var trial = policy?.Terms.Trial == true;
        if (trial && trialOfFingerprint is not null && trialOfFingerprint.LicenseId != license.Id) return new(null, null, Trials.Refusal());

        var activated = new MachineActivated(Guid.CreateVersion7(), license.Id, license.ProductId, command.Fingerprint!, command.Name,
            command.Metadata ?? [], now, StartsTrial: trial && trialOfFingerprint is null,
            HeartbeatExpiresAt: policy?.Terms.HeartbeatSeconds is { } seconds ? now.AddSeconds(seconds) : null);
        var decision = Seat(activated, license, seats, now, policy, freed);
        if (decision.Activated is null) return decision; // refused: the deaths are recorded by the sweep, or the next decision
        decision = decision with { Events = [.. deaths, .. decision.Events] };
        if (inherited is { } held)
            decision = decision with
            {
                Events = [.. decision.Events, new LicenseFileIssued(license.Id, license.ProductId, activated.MachineId, now, held)]
            };
        // The first activation starts a clock that waits for it: in the same transaction, so exactly one sets the expiry.
        return LicenseClock.StartAt(ExpirationBasis.FirstActivation, license, policy, now) is { } started
            ? decision with { Events = [.. decision.Events, started] }
            : decision;
    }

    private static Activation Seat(MachineActivated activated, License license, LicenseSeats seats, DateTimeOffset now, Policy? policy,
        int freedByDeaths)
    {
        var expired = seats.ExpiredAt(now);
        // The installation whose file holds a seat comes back: it takes that seat again, and its file's hold with it.
        if (seats.HeldBy(activated.Fingerprint, now) is { } held)
            return new(activated, null, null)
            {
                Events = [new SeatsFreed(license.Id, license.ProductId, [.. expired, new SeatHold(held.MachineId, held.Until)], now), activated,
                    new LicenseFileIssued(license.Id, license.ProductId, activated.MachineId, now, held.Until)]
            };

        // A license without a limit of its own still holds at most LicenseRules.MaxMachines: a license key in an
        // untrusted client must not grow one license's seats (and the snapshot rewritten on each activation) forever.
        // A limit lowered below the seats taken takes none away: the license takes no more until it is under it.
        var max = license.MaxMachinesUnder(policy) ?? LicenseRules.MaxMachines;
        if (seats.TakenAt(now) - freedByDeaths >= max)
            return new(null, null, Problems.Refusal(409, MachineLimitReached, seats.Active.Count - freedByDeaths < max
                ? $"All {max} seats the license allows are taken, some by deactivated machines whose license files are still valid: wait for them to expire, or ask the vendor to free one."
                : $"All {max} machines the license allows are active: deactivate one first."));

        return new(activated, null, null)
        {
            Events = expired.Count == 0 ? [activated] : [new SeatsFreed(license.Id, license.ProductId, expired, now), activated]
        };
    }
}
