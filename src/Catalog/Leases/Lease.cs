using System.ComponentModel;
using System.Text.Json.Serialization;
using Catalog.Conventions;
using Catalog.Licenses;
using Catalog.Machines;
using Catalog.Policies;
using Catalog.Products;
using License = Catalog.Licenses.License;

namespace Catalog.Leases;

/// <summary>A lease as the API shows it.</summary>
[SchemaName("Lease")]
public record LeaseDetails(
    Guid Id,
    Guid LicenseId,
    [property: Description("The machine holding it, when one was named (always under a seat limit, and for a borrowed lease).")] Guid? MachineId,
    DateTimeOffset GrantedAt,
    [property: Description("It holds its slot until then, unless renewed; after, the slot is free whether or not it was released.")]
    DateTimeOffset ExpiresAt,
    [property: Description("A borrowed lease: long, for offline use, with a license file bound to the machine.")] bool Borrowed,
    [property: Description("A borrowed lease's license file (a compact JWS bound to the machine, expiring with the lease); in the grant's answer only."),
               JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    string? File = null) : IHasLocation
{
    [JsonIgnore] public string Location => $"/api/v1/leases/{Id}";

    public static LeaseDetails From(Lease l) => new(l.Id, l.LicenseId, l.MachineId, l.GrantedAt, l.ExpiresAt, l.Borrowed);
}

public record RequestLease(
    [property: StringLength(MachineFingerprint.MaxLength, MinimumLength = 1),
               Description("The machine holding the lease: required under a seat limit and to borrow, and then it must be an active machine.")]
    string? Fingerprint = null,
    [property: Range(1, PolicyRules.MaxBorrow),
               Description("Borrow: a lease of this many seconds (at most the policy's maxBorrowSeconds) whose answer carries a license file for offline use.")]
    int? BorrowSeconds = null,
    [property: RegularExpression(ProductRules.CodePattern), Description(LicensedProduct.Description)]
    string? Product = null);

/// <summary>The body of a client's renewal or release: only its product.</summary>
public record ThisLease(
    [property: RegularExpression(ProductRules.CodePattern), Description(LicensedProduct.Description)]
    string? Product = null);

public static class LeaseRules
{
    public const string ConcurrencyLimitReached = "CONCURRENCY_LIMIT_REACHED";

    public static ProblemDetails Check(RequestLease? command)
    {
        var errors = new ValidationErrors();
        if (command?.Fingerprint is { } fingerprint) MachineFingerprint.Check(errors, fingerprint);
        if (command?.BorrowSeconds is < 1 or > PolicyRules.MaxBorrow)
            errors.Add("borrowSeconds", $"must be 1-{PolicyRules.MaxBorrow} seconds, and at most the policy's maxBorrowSeconds");
        LicensedProduct.CheckIfGiven(errors, command?.Product);
        return errors.ToProblem();
    }

    /// <summary>
    /// The decision on a lease request, on what the license's one read found: the license of another product is a 403
    /// PRODUCT_MISMATCH; a fingerprint is required under a seat limit and to borrow (400), a borrow longer than the
    /// policy's maxBorrowSeconds is a 400; a license that cannot be used is a 403 naming why; the fingerprint must be a
    /// live active machine (403 NOT_ACTIVATED); with <c>maxConcurrent</c> leases live (a license without the rule holds at
    /// most <see cref="LicenseRules.MaxMachines"/>), a 409 CONCURRENCY_LIMIT_REACHED. Else a lease of the policy's
    /// <c>leaseSeconds</c>, or of <c>borrowSeconds</c>.
    /// </summary>
    public static (LeaseGranted? Granted, ProblemDetails? Refusal) Grant(RequestLease command, License license, Product? product, Policy? policy,
        Machine? machine, bool machineDead, int liveLeases, DateTimeOffset now)
    {
        if (LicensedProduct.Mismatches(product, command.Product)) return (null, LicensedProduct.Refusal());
        if (command.Fingerprint is null && license.MaxMachinesUnder(policy) is not null)
            return (null, Problems.Validation("fingerprint", "is required: the license has a seat limit, so a lease is held by an active machine"));
        if (command.BorrowSeconds is { } borrow)
        {
            if (command.Fingerprint is null)
                return (null, Problems.Validation("fingerprint", "is required to borrow: the license file is bound to the machine"));
            var most = policy?.Terms.MaxBorrowSeconds ?? 0;
            if (borrow > most)
                return (null, Problems.Validation("borrowSeconds", most == 0
                    ? "is not allowed: the license's policy allows no borrowing (maxBorrowSeconds 0)"
                    : $"must be at most {most}, the policy's maxBorrowSeconds"));
        }
        // A license ending within this second would give a borrowed file that is never valid: as good as expired.
        var code = license.UnusableBecause(product, now)
                   ?? (command.BorrowSeconds is not null && license.ExpiresAt?.ToUnixTimeSeconds() <= now.ToUnixTimeSeconds()
                       ? ValidationCodes.Expired : null);
        if (code is not null)
            return (null, Problems.Refusal(403, code, $"No lease: the license cannot be used ({code})."));
        if (command.Fingerprint is not null && (machine is null || machineDead))
            return (null, Problems.Refusal(403, ValidationCodes.NotActivated,
                machineDead ? "No lease: this machine missed its heartbeat and holds no seat. Activate it again."
                    : "No lease: the fingerprint is not an active machine of the license."));
        var max = policy?.Terms.MaxConcurrent ?? LicenseRules.MaxMachines;
        if (liveLeases >= max)
            return (null, Problems.Refusal(409, ConcurrencyLimitReached,
                $"All {max} leases the license allows are held: try again when one is released or expires."));
        var seconds = command.BorrowSeconds ?? policy?.Terms.LeaseSeconds ?? PolicyTerms.DefaultLeaseSeconds;
        return (new LeaseGranted(Guid.CreateVersion7(), license.Id, license.ProductId, machine?.Id, now, now.AddSeconds(seconds),
            command.BorrowSeconds is not null), null);
    }

    /// <summary>A renewal: a live lease lives <c>leaseSeconds</c> from now (never less than it had); an ended one is a 404.</summary>
    public static (Lease? Renewed, ProblemDetails? Refusal) Renew(Lease? lease, License license, Product? product, Policy? policy,
        DateTimeOffset now)
    {
        if (lease is null || !lease.LivesAt(now)) return (null, Ended());
        if (license.UnusableBecause(product, now) is { } code)
            return (null, Problems.Refusal(403, code, $"The lease cannot be renewed: the license cannot be used ({code})."));
        var until = now.AddSeconds(policy?.Terms.LeaseSeconds ?? PolicyTerms.DefaultLeaseSeconds);
        return (lease with { ExpiresAt = until > lease.ExpiresAt ? until : lease.ExpiresAt }, null);
    }

    /// <summary>A release: a live lease ends now (its slot is free at once); an ended one is a 404.</summary>
    public static LeaseReleased? Release(Lease? lease, License license, string by, DateTimeOffset now) =>
        lease is null || !lease.LivesAt(now) ? null
            : new LeaseReleased(lease.Id, license.Id, license.ProductId, lease.MachineId, now, by);

    /// <summary>The license's leases past their expiry, recorded expired: under the stream's lock, so each once.</summary>
    public static List<LeaseExpired> Expiries(IEnumerable<Lease> leases, License license, DateTimeOffset now) =>
        leases.Where(x => !x.LivesAt(now))
            .Select(x => new LeaseExpired(x.Id, license.Id, license.ProductId, x.MachineId, x.ExpiresAt, now)).ToList();

    public static ProblemDetails Ended() => Problems.Status(404, "No such lease: it was never granted to this license, or it has ended.");
}
