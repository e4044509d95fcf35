using System.ComponentModel;
using System.Security.Cryptography;
using System.Text.Json.Serialization;
using Catalog.Conventions;
using Catalog.Policies;
using Catalog.Products;
using Marten.Events.Projections;
using Marten.Patching;
using JasperFx.Events;

namespace Catalog.Licenses;

// Issuing and revoking live on the product's stream (LicenseIssued and LicenseRevoked are declared with the
// product's events, Products/Product.cs). Everything else that happens to a license (its machines, its changes,
// suspension) lives on the license's own stream (stream id = license id) and takes that stream's lock only:
// activations of different licenses never wait for each other.

/// <summary>
/// The license's full new values (a renewal, a new seat limit, new metadata, its own entitlements, its clock started),
/// not a diff. <c>MaxMachines</c> and <c>MaxUses</c> are the license's own (null: its policy's).
/// </summary>
public record LicenseUpdated(
    Guid LicenseId,
    Guid ProductId,
    DateTimeOffset? ExpiresAt,
    int? MaxMachines,
    Dictionary<string, JsonElement> Metadata,
    DateTimeOffset UpdatedAt,
    int? MaxUses = null,
    List<string>? Entitlements = null,
    bool ClockPending = false);

/// <summary>Metered use counted: <c>Increment</c> added, <c>Uses</c> the new total (what a vendor bills from).</summary>
public record LicenseUsageIncremented(Guid LicenseId, Guid ProductId, int Increment, int Uses, int? MaxUses, DateTimeOffset IncrementedAt);

/// <summary>The use count set back to 0; <c>PreviousUses</c> is what it was.</summary>
public record LicenseUsageReset(Guid LicenseId, Guid ProductId, int PreviousUses, DateTimeOffset ResetAt);

public record LicenseSuspended(Guid LicenseId, Guid ProductId, DateTimeOffset SuspendedAt);

public record LicenseReinstated(Guid LicenseId, Guid ProductId, DateTimeOffset ReinstatedAt);

public static class LicenseStatus
{
    public const string Active = "active";
    public const string Expired = "expired";
    public const string Revoked = "revoked";
    public const string Suspended = "suspended";

    public static readonly string[] All = [Active, Expired, Revoked, Suspended];
}

/// <summary>
/// The license read model, projected inline from the license events. Expiry is data: the status is worked out
/// when the license is read, never by a timer.
/// </summary>
public sealed record License(
    Guid Id,
    Guid ProductId,
    string Key,
    DateTimeOffset? ExpiresAt,
    DateTimeOffset? RevokedAt,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    Dictionary<string, JsonElement> Metadata)
{
    /// <summary>The account (tenant) the license belongs to: how a license key finds its account.</summary>
    public Guid AccountId { get; init; }

    /// <summary>The policy the license was issued under, if any: its rules hold unless the license overrides them.</summary>
    public Guid? PolicyId { get; init; }

    /// <summary>How many machines may use the license at once, its own; null for its policy's (or, without one, no limit).</summary>
    public int? MaxMachines { get; init; }

    /// <summary>The license's own entitlements, besides its policy's: codes as their entitlements spell them, sorted.</summary>
    public List<string> Entitlements { get; init; } = [];

    /// <summary>Metered uses allowed, its own; null for its policy's (or, without one, unlimited).</summary>
    public int? MaxUses { get; init; }

    /// <summary>Metered uses counted since issuance or the last reset.</summary>
    public int Uses { get; init; }

    /// <summary>
    /// The license's clock waits for its policy's basis (first activation, first validation): <c>expiresAt</c> stays null
    /// until then, and is set once.
    /// </summary>
    public bool ClockPending { get; init; }

    /// <summary>The seat limit in force: the license's own, else its policy's (null: none).</summary>
    public int? MaxMachinesUnder(Policy? policy) => MaxMachines ?? policy?.Terms.MaxMachines;

    /// <summary>The use limit in force: the license's own, else its policy's (null: unlimited).</summary>
    public int? MaxUsesUnder(Policy? policy) => MaxUses ?? policy?.Terms.MaxUses;

    /// <summary>The entitlements the license grants: its policy's and its own, sorted.</summary>
    public IReadOnlyList<string> EntitlementsUnder(Policy? policy) =>
        policy is null || policy.Terms.Entitlements.Count == 0
            ? Entitlements
            : policy.Terms.Entitlements.Concat(Entitlements).Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.Ordinal).ToList();

    /// <summary>Active machines, kept in the same transaction as the machine events.</summary>
    public int MachinesCount { get; init; }

    /// <summary>Leases granted and not yet released or recorded expired (one past its expiry holds no slot already).</summary>
    public int LeasesCount { get; init; }

    /// <summary>Seats deactivated machines still hold through a license file given for them, each until that file expires.</summary>
    public List<SeatHold> HeldSeats { get; init; } = [];

    /// <summary>The seats taken at this instant: active machines, and the held seats whose files are still valid.</summary>
    public int SeatsTakenAt(DateTimeOffset now) => MachinesCount + HeldSeats.Count(x => x.Until > now);

    public DateTimeOffset? SuspendedAt { get; init; }

    public bool IsRevoked => RevokedAt is not null;
    public bool IsSuspended => SuspendedAt is not null;

    /// <summary>
    /// Why the license cannot be used now (a validation code, judged in the contract's order), or null when it
    /// can. A deleted product's licenses cannot be used.
    /// </summary>
    public string? UnusableBecause(Products.Product? product, DateTimeOffset now) =>
        IsRevoked ? ValidationCodes.Revoked
        : product is null || product.IsDeleted ? ValidationCodes.ProductDeleted
        : IsSuspended ? ValidationCodes.Suspended
        : ExpiresAt <= now ? ValidationCodes.Expired
        : null;

    public string StatusAt(DateTimeOffset now) =>
        IsRevoked ? LicenseStatus.Revoked
        : IsSuspended ? LicenseStatus.Suspended
        : ExpiresAt <= now ? LicenseStatus.Expired
        : LicenseStatus.Active;

    public static License Create(LicenseIssued e, Guid accountId = default) =>
        new(e.LicenseId, e.ProductId, e.Key, e.ExpiresAt, null, e.IssuedAt, e.IssuedAt, e.Metadata)
        {
            AccountId = accountId,
            PolicyId = e.PolicyId,
            MaxMachines = e.MaxMachines,
            Entitlements = e.Entitlements ?? [],
            MaxUses = e.MaxUses,
            ClockPending = e.ClockPending
        };

    // LicenseProjection patches the same fields in SQL: a change here belongs there too.
    public License Apply(LicenseRevoked e) => this with { RevokedAt = e.RevokedAt, UpdatedAt = e.RevokedAt };

    public License Apply(LicenseUpdated e) =>
        this with
        {
            ExpiresAt = e.ExpiresAt, MaxMachines = e.MaxMachines, Metadata = e.Metadata, UpdatedAt = e.UpdatedAt, MaxUses = e.MaxUses,
            Entitlements = e.Entitlements ?? [], ClockPending = e.ClockPending
        };

    public License Apply(LicenseUsageIncremented e) => this with { Uses = e.Uses, UpdatedAt = e.IncrementedAt };

    public License Apply(LicenseUsageReset e) => this with { Uses = 0, UpdatedAt = e.ResetAt };

    /// <summary>This license's values as the event that makes them so: a decision changes a copy (<c>with</c>), then records it.</summary>
    public LicenseUpdated AsUpdate(DateTimeOffset now) =>
        new(Id, ProductId, ExpiresAt, MaxMachines, Metadata, now, MaxUses, Entitlements, ClockPending);

    public License Apply(LicenseSuspended e) => this with { SuspendedAt = e.SuspendedAt, UpdatedAt = e.SuspendedAt };

    public License Apply(LicenseReinstated e) => this with { SuspendedAt = null, UpdatedAt = e.ReinstatedAt };
}

/// <summary>
/// Licenses are documents of their own, keyed by license id, built from events on the product streams. An event
/// projection rather than an aggregation: an aggregation first loads every document its events touch, a round
/// trip wasted on each issuance, whose license cannot exist yet. A revocation patches the stored license in SQL,
/// queued after its creation, so a rebuild that meets both events in one batch applies them in order.
/// </summary>
public partial class LicenseProjection : EventProjection
{
    public License Create(IEvent<LicenseIssued> e) => License.Create(e.Data, Guid.Parse(e.TenantId));

    public void Project(LicenseRevoked e, IDocumentOperations operations) =>
        operations.Patch<License>(e.LicenseId)
            .Set(x => x.RevokedAt, e.RevokedAt)
            .Set(x => x.UpdatedAt, e.RevokedAt);

    public void Project(LicenseUpdated e, IDocumentOperations operations) =>
        operations.Patch<License>(e.LicenseId)
            .Set(x => x.ExpiresAt, e.ExpiresAt)
            .Set(x => x.MaxMachines, e.MaxMachines)
            .Set(x => x.Metadata, e.Metadata)
            .Set(x => x.UpdatedAt, e.UpdatedAt)
            .Set(x => x.MaxUses, e.MaxUses)
            .Set(x => x.Entitlements, e.Entitlements ?? [])
            .Set(x => x.ClockPending, e.ClockPending);

    // The total, not the increment: the event says what the count became under the stream's lock.
    public void Project(LicenseUsageIncremented e, IDocumentOperations operations) =>
        operations.Patch<License>(e.LicenseId)
            .Set(x => x.Uses, e.Uses)
            .Set(x => x.UpdatedAt, e.IncrementedAt);

    public void Project(LicenseUsageReset e, IDocumentOperations operations) =>
        operations.Patch<License>(e.LicenseId)
            .Set(x => x.Uses, 0)
            .Set(x => x.UpdatedAt, e.ResetAt);

    public void Project(LicenseSuspended e, IDocumentOperations operations) =>
        operations.Patch<License>(e.LicenseId)
            .Set(x => x.SuspendedAt, e.SuspendedAt)
            .Set(x => x.UpdatedAt, e.SuspendedAt);

    public void Project(LicenseReinstated e, IDocumentOperations operations) =>
        operations.Patch<License>(e.LicenseId)
            .Set(x => x.SuspendedAt, null)
            .Set(x => x.UpdatedAt, e.ReinstatedAt);

    // machinesCount moves with the machine events, in the same transaction; here rather than with the machine documents
    // so that a rebuild creates each license before it counts its machines.
    public void Project(MachineActivated e, IDocumentOperations operations) =>
        operations.Patch<License>(e.LicenseId).Increment(x => x.MachinesCount);

    public void Project(MachineDeactivated e, IDocumentOperations operations)
    {
        operations.Patch<License>(e.LicenseId).Increment(x => x.MachinesCount, -1);
        if (e.SeatHeldUntil is { } until) operations.Patch<License>(e.LicenseId).Append(x => x.HeldSeats, new SeatHold(e.MachineId, until));
    }

    public void Project(SeatsFreed e, IDocumentOperations operations)
    {
        foreach (var hold in e.Holds) operations.Patch<License>(e.LicenseId).Remove(x => x.HeldSeats, hold);
    }

    public void Project(LeaseGranted e, IDocumentOperations operations) =>
        operations.Patch<License>(e.LicenseId).Increment(x => x.LeasesCount);

    public void Project(LeaseReleased e, IDocumentOperations operations) =>
        operations.Patch<License>(e.LicenseId).Increment(x => x.LeasesCount, -1);

    public void Project(LeaseExpired e, IDocumentOperations operations) =>
        operations.Patch<License>(e.LicenseId).Increment(x => x.LeasesCount, -1);
}

public static class LicenseRules
{
    public const int MinMachines = 1;
    public const int MaxMachines = 10_000;

    public static void MaxMachinesAllowed(ValidationErrors errors, int? maxMachines)
    {
        if (maxMachines is < MinMachines or > MaxMachines)
            errors.Add("maxMachines", $"must be {MinMachines}-{MaxMachines}, or null for no limit");
    }

    public static void MaxUsesAllowed(ValidationErrors errors, int? maxUses)
    {
        if (maxUses is < PolicyRules.MinUses) errors.Add("maxUses", $"must be {PolicyRules.MinUses}-{PolicyRules.MaxUses}, or null");
    }
}

/// <summary>
/// The product the software asking is: every client endpoint takes its code (<c>product</c>), so that a license key of
/// one product never unlocks another product's software, even of the same account. Codes compare ignoring case, as
/// they are unique.
/// </summary>
public static partial class LicensedProduct
{
    public const string Description =
        "The code of the product this software is. When given, a license of another product is refused: PRODUCT_MISMATCH.";

    public static void CheckIfGiven(ValidationErrors errors, string? code)
    {
        if (code is not null && !WellFormed().IsMatch(code))
            errors.Add("product", "must be a product code: 1-50 characters of A-Z a-z 0-9 - _");
    }

    /// <summary>A code was given, and it is not the code of the license's product (another product's, or no product's).</summary>
    public static bool Mismatches(Products.Product? product, string? code) =>
        code is not null && !string.Equals(product?.Code, code, StringComparison.OrdinalIgnoreCase);

    /// <summary>The 403 of every client endpoint but validation, which answers the code instead.</summary>
    public static ProblemDetails Refusal() =>
        Problems.Refusal(403, ValidationCodes.ProductMismatch, "The license key is not a license of this product.");

    [System.Text.RegularExpressions.GeneratedRegex(Products.ProductRules.CodePattern)]
    private static partial System.Text.RegularExpressions.Regex WellFormed();
}

/// <summary>A license as the API shows it.</summary>
[SchemaName("License")]
public record LicenseDetails(
    Guid Id,
    Guid ProductId,
    [property: RegularExpression(LicenseKeys.Pattern), Description("e.g. DSK-A2B3-C4D5-E6F7-G8H9")] string Key,
    [property: AllowedValues(LicenseStatus.Active, LicenseStatus.Expired, LicenseStatus.Revoked, LicenseStatus.Suspended)] string Status,
    DateTimeOffset? ExpiresAt,
    DateTimeOffset? RevokedAt,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    Dictionary<string, JsonElement> Metadata,
    [property: Description("How many machines may use the license at once (its own, else its policy's); null for no limit.")] int? MaxMachines,
    [property: Description("Seats taken now: active machines, and deactivated machines whose license file is still valid.")] int MachinesCount,
    [property: Description("The policy the license was issued under, if any.")] Guid? PolicyId,
    [property: Description("The codes of the entitlements the license grants, its policy's and its own, sorted.")] IReadOnlyList<string> Entitlements,
    [property: Description("Metered uses counted since issuance or the last reset.")] int Uses,
    [property: Description("Metered uses allowed (its own, else its policy's); null for unlimited.")] int? MaxUses,
    [property: Description("Leases held: granted and not yet ended (one past its expiry is free at once, and leaves this count within a minute).")]
    int LeasesCount,
    [property: Description("Leases allowed at once (its policy's maxConcurrent); null when the license needs no lease.")] int? MaxConcurrent) : IHasLocation
{
    [JsonIgnore] public string Location => $"/api/v1/licenses/{Id}";

    /// <summary>The license as it stands under its policy now: every effective value is the license's own over the policy's.</summary>
    public static LicenseDetails From(License l, Policy? policy, DateTimeOffset now) =>
        new(l.Id, l.ProductId, l.Key, l.StatusAt(now), l.ExpiresAt, l.RevokedAt, l.CreatedAt, l.UpdatedAt, l.Metadata,
            l.MaxMachinesUnder(policy), l.SeatsTakenAt(now), l.PolicyId, l.EntitlementsUnder(policy), l.Uses, l.MaxUsesUnder(policy),
            l.LeasesCount, policy?.Terms.MaxConcurrent);
}

/// <summary>
/// License keys: the product's prefix, then four groups of four characters from A-Z and 0-9 without the
/// look-alikes 0, O, 1 and I (32 symbols, so 80 random bits), e.g. DSK-A2B3-C4D5-E6F7-G8H9.
/// </summary>
public partial class LicenseKeys
{
    public const string Alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    public const string Pattern = "^[A-Z]{2,10}(-[A-HJ-NP-Z2-9]{4}){4}$";

    [System.Text.RegularExpressions.GeneratedRegex(Pattern)]
    private static partial System.Text.RegularExpressions.Regex WellFormed();

    public static bool IsWellFormed(string key) => WellFormed().IsMatch(key);

    public virtual string Next(string prefix)
    {
        var random = RandomNumberGenerator.GetString(Alphabet, 16);
        return $"{prefix}-{random[..4]}-{random[4..8]}-{random[8..12]}-{random[12..]}";
    }
}
