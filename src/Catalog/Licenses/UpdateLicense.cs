using Catalog.Http;
using System.ComponentModel;
using Catalog.Accounts;
using Catalog.Conventions;
using Catalog.Entitlements;
using Catalog.Policies;

namespace Catalog.Licenses;

/// <summary>Any of the changeable fields; a field left out stays as it is.</summary>
public record UpdateLicense(
    [property: Description("A renewal: a future time with a time zone, or null for no expiry.")] Optional<DateTimeOffset?> ExpiresAt,
    [property: Range(LicenseRules.MinMachines, LicenseRules.MaxMachines),
               Description("1-10000, or null for the policy's (or no limit); never below the machines active now (409).")] Optional<int?> MaxMachines,
    [property: Description("Replaced whole; null empties it.")] Optional<Dictionary<string, JsonElement>> Metadata,
    [property: Range(PolicyRules.MinUses, PolicyRules.MaxUses), Description("Metered uses allowed; null for the policy's (or unlimited).")]
    Optional<int?> MaxUses,
    [property: MaxLength(NamedEntitlements.MaxCount), Description("The license's own entitlement codes, replaced whole (its policy's stay).")]
    Optional<List<string?>> Entitlements);

[Tags("Licenses")]
public static class UpdateLicenseEndpoint
{
    /// <summary>The entitlements named, found and locked as a grant locks them; none when the field is left out.</summary>
    public static async Task<NamedEntitlements> LoadAsync(UpdateLicense command, IDocumentSession session, CancellationToken token) =>
        command.Entitlements.IsPresent ? await NamedEntitlements.ToGrant(session, command.Entitlements.Value ?? [], token) : NamedEntitlements.None;

    public static ProblemDetails Validate(UpdateLicense command, NamedEntitlements entitlements, TimeProvider time)
    {
        var errors = new ValidationErrors();
        if (command.ExpiresAt is { IsPresent: true, Value: { } expiresAt } && expiresAt <= time.GetUtcNow())
            errors.Add("expiresAt", "must be in the future, or null");
        if (command.MaxMachines.IsPresent) LicenseRules.MaxMachinesAllowed(errors, command.MaxMachines.Value);
        if (command.MaxUses.IsPresent) LicenseRules.MaxUsesAllowed(errors, command.MaxUses.Value);
        if (command.Metadata.IsPresent) MetadataRules.Check(errors, command.Metadata.Value);
        if (command.Entitlements.IsPresent) entitlements.Check(errors, "entitlements");
        return errors.ToProblem();
    }

    /// <summary>
    /// The decision: the license's full new values, or nothing when nothing changes; a refusal as problem details. A new
    /// expiry is the vendor's: a clock still waiting for its first activation or validation no longer waits.
    /// </summary>
    public static (LicenseUpdated? Updated, ProblemDetails? Refusal) Decide(UpdateLicense command, NamedEntitlements entitlements, License license,
        Policy? policy, int takenSeats, DateTimeOffset now)
    {
        if (license.IsRevoked) return (null, Problems.Status(409, "The license has been revoked and can no longer be changed."));
        var changed = license with
        {
            ExpiresAt = command.ExpiresAt.IsPresent ? command.ExpiresAt.Value?.ToMilliseconds() : license.ExpiresAt,
            ClockPending = license.ClockPending && !command.ExpiresAt.IsPresent,
            MaxMachines = command.MaxMachines.Or(license.MaxMachines),
            MaxUses = command.MaxUses.Or(license.MaxUses),
            Metadata = command.Metadata.IsPresent ? command.Metadata.Value ?? [] : license.Metadata,
            Entitlements = command.Entitlements.IsPresent ? [.. entitlements.Codes] : license.Entitlements
        };
        if (command.MaxMachines.IsPresent && changed.MaxMachinesUnder(policy) < takenSeats)
            return (null, Problems.Status(409, $"{takenSeats} seats are taken: maxMachines cannot go below that. Deactivate some first."));

        var unchanged = changed.ExpiresAt == license.ExpiresAt && changed.ClockPending == license.ClockPending
                        && changed.MaxMachines == license.MaxMachines && changed.MaxUses == license.MaxUses
                        && changed.Entitlements.SequenceEqual(license.Entitlements) && MetadataRules.Same(changed.Metadata, license.Metadata);
        return unchanged ? (null, null) : (changed.AsUpdate(now), null);
    }

    /// <summary>
    /// Renews, re-sizes or re-labels a license. It takes the license stream's lock, as activations do, so a new
    /// maxMachines is checked against the machines active at that moment and no activation slips past it.
    /// </summary>
    [WolverinePatch("/api/v1/licenses/{id}", OperationId = "updateLicense", Summary = "Change a license (renew, seats, uses, entitlements, metadata)")]
    [Authorize(Scopes.LicensesWrite)]
    [Refuses(409, "The license is revoked, or maxMachines would fall below the machines active now.")]
    [RetryOnContention]
    [ProducesResponseType<Resource<LicenseDetails>>(200)]
    public static async Task<IResult> Patch(UpdateLicense command, [Document("id")] License license, NamedEntitlements entitlements,
        IDocumentSession session, TimeProvider time, CancellationToken token)
    {
        var (stream, seats, locked) = await LicenseStream.Lock(session, license.Id, token);
        var current = locked ?? license;
        var policy = await session.PolicyOf(current.PolicyId, token);
        var now = time.UtcNow();
        var (updated, refusal) = Decide(command, entitlements, current, policy, seats.TakenAt(now), now);
        if (refusal is not null) return Results.Problem(refusal);
        if (updated is not null) stream.AppendOne(updated);
        return Results.Json(new Resource<LicenseDetails>(LicenseDetails.From(updated is null ? current : current.Apply(updated), policy, now)),
            ApiJson.Options);
    }
}
