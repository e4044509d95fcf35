using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using Catalog.Conventions;
using Catalog.Licenses;
using Catalog.Products;
using Microsoft.AspNetCore.Mvc;
using License = Catalog.Licenses.License;

namespace Catalog.Machines;

public record ActivateMachine(
    [property: Required, StringLength(MachineFingerprint.MaxLength, MinimumLength = 1),
               Description("The installation's stable id, unique among the license's active machines: 1-255 printable characters.")]
    string? Fingerprint,
    [property: MaxLength(MachineRules.NameMaxLength)] string? Name,
    Dictionary<string, JsonElement>? Metadata);

/// <summary>The outcome of an activation: a new machine, the one already active with that fingerprint, or a refusal.</summary>
public sealed record Activation(MachineActivated? Activated, Seat? AlreadyActive, ProblemDetails? Refusal);

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
        return errors.ToProblem();
    }

    /// <summary>
    /// The decision, made under the license stream's lock on what it holds: a license that cannot be used is a
    /// 403 naming why; a fingerprint already active is that machine again (activation is idempotent); a full
    /// license is a 409; otherwise a new machine takes a seat.
    /// </summary>
    public static Activation Activate(ActivateMachine command, License license, Product? product, LicenseSeats seats, DateTimeOffset now)
    {
        if (license.UnusableBecause(product, now) is { } code)
            return new(null, null, Problems.Refusal(403, code, $"The license cannot be activated: {code}."));
        if (seats.Holding(command.Fingerprint!) is { } active) return new(null, active, null);
        // A license without a limit of its own still holds at most LicenseRules.MaxMachines: a license key in an
        // untrusted client must not grow one license's seats (and the snapshot rewritten on each activation) forever.
        var max = license.MaxMachines ?? LicenseRules.MaxMachines;
        if (seats.Active.Count >= max)
            return new(null, null, Problems.Refusal(409, MachineLimitReached,
                $"All {max} machines the license allows are active: deactivate one first."));

        return new(new MachineActivated(Guid.CreateVersion7(), license.Id, license.ProductId, command.Fingerprint!, command.Name,
            command.Metadata ?? [], now), null, null);
    }
}
