using System.Text.Json.Serialization;
using Catalog.Conventions;
using Catalog.Http;
using Catalog.Licenses;
using Marten.Events.Projections;
using Marten.Patching;

namespace Catalog.Machines;

// A machine is one installation using a license. Its events are the license stream's (Licenses/Seats.cs): the seat
// decisions take that stream's lock. Here is what the API shows of machines, and the rules of their fingerprints.

/// <summary>
/// The machine read model: one document per active machine, and per deactivated machine whose seat a license file
/// still holds (<see cref="DeactivatedAt"/> set: the vendor can free that seat by its id); deleted when its seat is free.
/// </summary>
public sealed record Machine(
    Guid Id,
    Guid LicenseId,
    string Fingerprint,
    string? Name,
    Dictionary<string, JsonElement> Metadata,
    DateTimeOffset ActivatedAt)
{
    /// <summary>Set when the machine left the license while a file given for it holds its seat, or when it died.</summary>
    public DateTimeOffset? DeactivatedAt { get; init; }

    /// <summary>
    /// Set when it was recorded dead (it missed its heartbeat): kept so that its fingerprint still validates
    /// HEARTBEAT_DEAD, not NOT_ACTIVATED, until that fingerprint is activated again.
    /// </summary>
    public DateTimeOffset? DiedAt { get; init; }

    public static Machine From(MachineActivated e) => new(e.MachineId, e.LicenseId, e.Fingerprint, e.Name, e.Metadata, e.ActivatedAt);
}

/// <summary>
/// Machine documents and their heartbeat rows. (The license's machinesCount is LicenseProjection's, so that a rebuild
/// creates each license first.) A rebuild writes each live machine's row as at its activation: heartbeats are not events.
/// </summary>
public partial class MachineProjection : EventProjection
{
    public void Project(MachineActivated e, IDocumentOperations operations)
    {
        operations.DeleteWhere<Machine>(x => x.LicenseId == e.LicenseId && x.Fingerprint == e.Fingerprint && x.DiedAt != null);
        operations.Store(Machine.From(e));
        operations.Store(MachineHeartbeat.Of(e));
    }

    public void Project(MachineDeactivated e, IDocumentOperations operations)
    {
        operations.Delete<MachineHeartbeat>(e.MachineId);
        if (e.Reason == DeactivationReasons.Heartbeat)
            operations.Patch<Machine>(e.MachineId).Set(x => x.DeactivatedAt, e.DeactivatedAt).Set(x => x.DiedAt, e.DeactivatedAt);
        else if (e.SeatHeldUntil is null) operations.Delete<Machine>(e.MachineId);
        else operations.Patch<Machine>(e.MachineId).Set(x => x.DeactivatedAt, e.DeactivatedAt);
    }

    public void Project(SeatsFreed e, IDocumentOperations operations)
    {
        foreach (var hold in e.Holds) operations.Delete<Machine>(hold.MachineId);
    }
}

/// <summary>A machine as the API shows it.</summary>
[SchemaName("Machine")]
public record MachineDetails(Guid Id, Guid LicenseId, string Fingerprint, string? Name, Dictionary<string, JsonElement> Metadata,
    DateTimeOffset ActivatedAt,
    [property: System.ComponentModel.Description("Its last heartbeat; null before the first.")] DateTimeOffset? LastHeartbeatAt,
    [property: System.ComponentModel.Description(
        "Under a heartbeat rule, the instant it holds no seat unless it sends a heartbeat before (a borrowed lease's end when later); null without the rule.")]
    DateTimeOffset? HeartbeatExpiresAt) : IHasLocation
{
    [JsonIgnore] public string Location => $"/api/v1/machines/{Id}";

    /// <summary>The machine with its heartbeat row, under the rule in force (its license's policy).</summary>
    public static MachineDetails From(Machine m, MachineHeartbeat? beat, Policies.Policy? policy) =>
        new(m.Id, m.LicenseId, m.Fingerprint, m.Name, m.Metadata, m.ActivatedAt, beat?.LastAt, HeartbeatRules.ExpiresAt(beat, policy));

    public static MachineDetails From(MachineActivated e, Policies.Policy? policy) =>
        From(Machine.From(e), MachineHeartbeat.Of(e), policy);
}


/// <summary>A machine's fingerprint: the installation's stable id, 1-255 printable characters.</summary>
public static class MachineFingerprint
{
    public const int MaxLength = 255;

    /// <summary>A fingerprint from a path segment: ASP.NET Core decodes a segment except its %2F, so a fingerprint with '/' (base64) arrives still encoded.</summary>
    public static string FromPath(string segment) => segment.Replace("%2F", "/", StringComparison.OrdinalIgnoreCase);

    public static void Check(ValidationErrors errors, string? fingerprint)
    {
        if (string.IsNullOrEmpty(fingerprint)) errors.Add("fingerprint", "is required");
        else if (Text.Length(fingerprint) > MaxLength) errors.Add("fingerprint", $"must be at most {MaxLength} characters");
        else if (!Text.IsStorable(fingerprint) || fingerprint.Any(char.IsControl))
            errors.Add("fingerprint", "must be printable characters (no control characters, NUL or unpaired surrogates)");
        else if (string.IsNullOrWhiteSpace(fingerprint)) errors.Add("fingerprint", "must not be blank");
        // It is a path segment of the client's deactivation, where URL normalisation would eat these.
        else if (fingerprint is "." or "..") errors.Add("fingerprint", "must not be '.' or '..'");
    }

    /// <summary>The whole validation of a request whose fields are an optional fingerprint and an optional product code.</summary>
    public static ProblemDetails CheckIfGiven(string? fingerprint, string? product = null)
    {
        var errors = new ValidationErrors();
        if (fingerprint is not null) Check(errors, fingerprint);
        LicensedProduct.CheckIfGiven(errors, product);
        return errors.ToProblem();
    }

    /// <summary>
    /// The whole validation of a client request: its query holds only the parameters the endpoint takes (a misspelt
    /// <c>product</c> must not skip the product check), and the fingerprint and product code, when given, are well formed.
    /// </summary>
    public static ProblemDetails CheckClientRequest(IQueryCollection query, string[] takes, string? fingerprint, string? product)
    {
        var errors = new ValidationErrors();
        QueryParameters.Check(errors, query, takes);
        if (errors.Any) return errors.ToProblem();
        return CheckIfGiven(fingerprint, product);
    }
}
