using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using System.Text.Json.Serialization;
using Catalog.Conventions;
using JasperFx.Events;
using JasperFx.Events.Projections;
using Marten;
using Microsoft.AspNetCore.Mvc;
using Marten.Events.Projections;

namespace Catalog.Licenses;

// A machine is one installation using a license. Its events live on the license's own stream (stream id =
// license id): an activation takes that stream's lock and nothing wider, so the seat limit is exact under any
// number of concurrent activations of one license, and activations of different licenses never wait for each other.

public record MachineActivated(
    Guid MachineId,
    Guid LicenseId,
    Guid ProductId,
    string Fingerprint,
    string? Name,
    Dictionary<string, JsonElement> Metadata,
    DateTimeOffset ActivatedAt);

public record MachineDeactivated(Guid MachineId, Guid LicenseId, Guid ProductId, string Fingerprint, DateTimeOffset DeactivatedAt);

/// <summary>The machine read model: one document per active machine, deleted on deactivation.</summary>
public sealed record Machine(
    Guid Id,
    Guid LicenseId,
    string Fingerprint,
    string? Name,
    Dictionary<string, JsonElement> Metadata,
    DateTimeOffset ActivatedAt)
{
    public static Machine From(MachineActivated e) => new(e.MachineId, e.LicenseId, e.Fingerprint, e.Name, e.Metadata, e.ActivatedAt);
}

/// <summary>Machine documents: one per active machine. (The license's machinesCount is LicenseProjection's.)</summary>
public partial class MachineProjection : EventProjection
{
    public Machine Create(MachineActivated e) => Machine.From(e);

    public void Project(MachineDeactivated e, IDocumentOperations operations) => operations.Delete<Machine>(e.MachineId);
}

/// <summary>One taken seat: which machine, by which fingerprint.</summary>
public sealed record Seat(Guid MachineId, string Fingerprint);

/// <summary>
/// The license stream's snapshot, kept inline: the seats taken on the license, which is what a seat decision
/// needs under the stream's lock. Only ids and fingerprints (the machines' names and metadata are in their own
/// documents), since the snapshot is rewritten on every activation. A list, not a dictionary: fingerprints are
/// data, and JSON property-name policies must never touch them.
/// </summary>
public sealed class LicenseSeats
{
    public Guid Id { get; set; }
    public List<Seat> Active { get; set; } = [];

    public Seat? Holding(string fingerprint) => Active.Find(x => x.Fingerprint == fingerprint);

    public void Apply(MachineActivated e) => Active.Add(new Seat(e.MachineId, e.Fingerprint));

    public void Apply(MachineDeactivated e) => Active.RemoveAll(x => x.MachineId == e.MachineId);
}

/// <summary>
/// The license's own stream under its lock, the seats taken on it, and the license document read under that
/// lock (null when there is none): what every decision on a license's machines, changes and state starts from.
/// </summary>
public static class LicenseStream
{
    public static async Task<(IEventStream<LicenseSeats> Stream, LicenseSeats Seats, License? Current)> Lock(
        IDocumentSession session, Guid licenseId, CancellationToken token)
    {
        var stream = await session.Events.FetchForExclusiveWriting<LicenseSeats>(licenseId, token);
        var current = await session.LoadAsync<License>(licenseId, token);
        return (stream, stream.Aggregate ?? new LicenseSeats { Id = licenseId }, current);
    }
}

/// <summary>A machine as the API shows it.</summary>
[SchemaName("Machine")]
public record MachineDetails(Guid Id, Guid LicenseId, string Fingerprint, string? Name, Dictionary<string, JsonElement> Metadata,
    DateTimeOffset ActivatedAt) : IHasLocation
{
    [JsonIgnore] public string Location => $"/api/v1/machines/{Id}";

    public static MachineDetails From(Machine m) => new(m.Id, m.LicenseId, m.Fingerprint, m.Name, m.Metadata, m.ActivatedAt);
    public static MachineDetails From(MachineActivated e) => From(Machine.From(e));
}


/// <summary>A machine's fingerprint: the installation's stable id, 1-255 printable characters.</summary>
public static class MachineFingerprint
{
    public const int MaxLength = 255;

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

    /// <summary>The whole validation of a request whose only field is an optional fingerprint.</summary>
    public static ProblemDetails CheckIfGiven(string? fingerprint)
    {
        var errors = new ValidationErrors();
        if (fingerprint is not null) Check(errors, fingerprint);
        return errors.ToProblem();
    }
}
