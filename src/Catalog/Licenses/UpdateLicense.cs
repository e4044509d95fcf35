using Catalog.Http;
using System.ComponentModel;
using Catalog.Accounts;
using Catalog.Conventions;

namespace Catalog.Licenses;

/// <summary>Any of the changeable fields; a field left out stays as it is.</summary>
public record UpdateLicense(
    [property: Description("A renewal: a future time with a time zone, or null for no expiry.")] Optional<DateTimeOffset?> ExpiresAt,
    [property: Range(LicenseRules.MinMachines, LicenseRules.MaxMachines),
               Description("1-10000, or null for no limit; never below the machines active now (409).")] Optional<int?> MaxMachines,
    [property: Description("Replaced whole; null empties it.")] Optional<Dictionary<string, JsonElement>> Metadata);

[Tags("Licenses")]
public static class UpdateLicenseEndpoint
{
    public static ProblemDetails Validate(UpdateLicense command, TimeProvider time)
    {
        var errors = new ValidationErrors();
        if (command.ExpiresAt is { IsPresent: true, Value: { } expiresAt } && expiresAt <= time.GetUtcNow())
            errors.Add("expiresAt", "must be in the future, or null");
        if (command.MaxMachines.IsPresent) LicenseRules.MaxMachinesAllowed(errors, command.MaxMachines.Value);
        if (command.Metadata.IsPresent) MetadataRules.Check(errors, command.Metadata.Value);
        return errors.ToProblem();
    }

    /// <summary>The decision: the license's full new values, or nothing when nothing changes; a refusal as problem details.</summary>
    public static (LicenseUpdated? Updated, ProblemDetails? Refusal) Decide(UpdateLicense command, License license, int activeMachines,
        DateTimeOffset now)
    {
        if (license.IsRevoked) return (null, Problems.Status(409, "The license has been revoked and can no longer be changed."));
        var maxMachines = command.MaxMachines.Or(license.MaxMachines);
        if (maxMachines < activeMachines)
            return (null, Problems.Status(409, $"{activeMachines} seats are taken: maxMachines cannot go below that. Deactivate some first."));

        var expiresAt = command.ExpiresAt.IsPresent ? command.ExpiresAt.Value?.ToMilliseconds() : license.ExpiresAt;
        var metadata = command.Metadata.IsPresent ? command.Metadata.Value ?? [] : license.Metadata;
        var unchanged = expiresAt == license.ExpiresAt && maxMachines == license.MaxMachines && MetadataRules.Same(metadata, license.Metadata);
        return unchanged ? (null, null) : (new LicenseUpdated(license.Id, license.ProductId, expiresAt, maxMachines, metadata, now), null);
    }

    /// <summary>
    /// Renews, re-sizes or re-labels a license. It takes the license stream's lock, as activations do, so a new
    /// maxMachines is checked against the machines active at that moment and no activation slips past it.
    /// </summary>
    [WolverinePatch("/api/v1/licenses/{id}", OperationId = "updateLicense", Summary = "Change a license (renew, seats, metadata)")]
    [Authorize(Scopes.LicensesWrite)]
    [Refuses(409, "The license is revoked, or maxMachines would fall below the machines active now.")]
    [RetryOnContention]
    [ProducesResponseType<Resource<LicenseDetails>>(200)]
    public static async Task<IResult> Patch(UpdateLicense command, [Document("id")] License license, IDocumentSession session,
        TimeProvider time, CancellationToken token)
    {
        var (stream, seats, locked) = await LicenseStream.Lock(session, license.Id, token);
        var current = locked ?? license;
        var now = time.UtcNow();
        var (updated, refusal) = Decide(command, current, seats.TakenAt(now), now);
        if (refusal is not null) return Results.Problem(refusal);
        if (updated is not null) stream.AppendOne(updated);
        return Results.Json(new Resource<LicenseDetails>(LicenseDetails.From(updated is null ? current : current.Apply(updated), now)), ApiJson.Options);
    }
}
