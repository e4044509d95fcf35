using System.Text.Json.Serialization;
using Catalog.Conventions;
using Catalog.SigningKeys;

namespace Catalog.Policies;

// The events of a policy's stream (stream id = policy id): full values, not diffs.

public record PolicyCreated(Guid PolicyId, Guid ProductId, string Name, PolicyTerms Terms, Dictionary<string, JsonElement> Metadata,
    DateTimeOffset CreatedAt);

public record PolicyUpdated(Guid PolicyId, Guid ProductId, string Name, PolicyTerms Terms, Dictionary<string, JsonElement> Metadata,
    DateTimeOffset UpdatedAt);

public record PolicyDeleted(Guid PolicyId, Guid ProductId, DateTimeOffset DeletedAt);

/// <summary>When a license's clock starts: until then its <c>expiresAt</c> is null.</summary>
public static class ExpirationBasis
{
    public const string Creation = "creation";
    public const string FirstActivation = "firstActivation";
    public const string FirstValidation = "firstValidation";

    public static readonly string[] All = [Creation, FirstActivation, FirstValidation];
}

/// <summary>
/// The rules a policy sets for its licenses (the contract's table). Durations are in seconds. A license may override
/// <see cref="MaxMachines"/> and <see cref="MaxUses"/>, and adds entitlements of its own.
/// </summary>
public sealed record PolicyTerms(
    long? Duration,
    string ExpirationBasis,
    int? MaxMachines,
    int? HeartbeatSeconds,
    int? MaxConcurrent,
    int LeaseSeconds,
    int MaxBorrowSeconds,
    int? MaxUses,
    int? FileLifetime,
    bool Trial,
    IReadOnlyList<string> Entitlements)
{
    public const int DefaultLeaseSeconds = 900;

    /// <summary>A perpetual license from creation, with no limit: what a policy is when nothing is said.</summary>
    public static readonly PolicyTerms Default =
        new(null, Policies.ExpirationBasis.Creation, null, null, null, DefaultLeaseSeconds, 0, null, null, false, []);
}

/// <summary>A product's licensing model, projected inline from its stream. Deleted softly: its licenses keep it.</summary>
public sealed record Policy(
    Guid Id,
    Guid ProductId,
    string Name,
    PolicyTerms Terms,
    Dictionary<string, JsonElement> Metadata,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? DeletedAt)
{
    public bool IsDeleted => DeletedAt is not null;

    public static Policy Create(PolicyCreated e) => new(e.PolicyId, e.ProductId, e.Name, e.Terms, e.Metadata, e.CreatedAt, e.CreatedAt, null);

    public Policy Apply(PolicyUpdated e) => this with { Name = e.Name, Terms = e.Terms, Metadata = e.Metadata, UpdatedAt = e.UpdatedAt };

    public Policy Apply(PolicyDeleted e) => this with { DeletedAt = e.DeletedAt, UpdatedAt = e.DeletedAt };
}

public static class PolicyLookup
{
    /// <summary>A license's policy, read now (deleted ones too: their licenses keep them), or null when it has none.</summary>
    public static async Task<Policy?> PolicyOf(this IQuerySession session, Guid? policyId, CancellationToken token) =>
        policyId is { } id ? await session.LoadAsync<Policy>(id, token) : null;
}

/// <summary>A policy as the API shows it: its terms flat beside its name.</summary>
[SchemaName("Policy")]
[SchemaExample("""
    {"id": "0193f0a1-4c82-7e6f-a023-9b7c4d8e5f61", "productId": "0193f0a1-4c82-7e6f-a023-9b7c4d8e5f60", "name": "Pro, yearly",
     "duration": 31536000, "expirationBasis": "creation", "maxMachines": 3, "heartbeatSeconds": null, "maxConcurrent": null,
     "leaseSeconds": 900, "maxBorrowSeconds": 0, "maxUses": null, "fileLifetime": null, "trial": false,
     "entitlements": ["export-pdf"], "metadata": {}, "createdAt": "2026-01-10T08:00:00.000Z",
     "updatedAt": "2026-01-10T08:00:00.000Z", "deletedAt": null}
    """)]
public record PolicyDetails(
    Guid Id, Guid ProductId, string Name,
    long? Duration, string ExpirationBasis, int? MaxMachines, int? HeartbeatSeconds, int? MaxConcurrent, int LeaseSeconds,
    int MaxBorrowSeconds, int? MaxUses, int? FileLifetime, bool Trial, IReadOnlyList<string> Entitlements,
    Dictionary<string, JsonElement> Metadata, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, DateTimeOffset? DeletedAt) : IHasLocation
{
    [JsonIgnore] public string Location => $"/api/v1/policies/{Id}";

    public static PolicyDetails From(Policy p)
    {
        var t = p.Terms;
        return new(p.Id, p.ProductId, p.Name, t.Duration, t.ExpirationBasis, t.MaxMachines, t.HeartbeatSeconds, t.MaxConcurrent,
            t.LeaseSeconds, t.MaxBorrowSeconds, t.MaxUses, t.FileLifetime, t.Trial, t.Entitlements, p.Metadata, p.CreatedAt, p.UpdatedAt,
            p.DeletedAt);
    }
}

/// <summary>The contract's ranges for a policy's fields, as constants the request records' attributes show too.</summary>
public static class PolicyRules
{
    public const int NameMaxLength = 255;
    public const long MinDuration = 3600, MaxDuration = 3_153_600_000;
    public const int MinMaxMachines = 1, MaxMaxMachines = 10_000;
    public const int MinHeartbeat = 60, MaxHeartbeat = 86_400;
    public const int MinConcurrent = 1, MaxConcurrent = 10_000;
    public const int MinLease = 60, MaxLease = 86_400;
    public const int MinBorrow = 0, MaxBorrow = 2_592_000;
    public const int MinUses = 1, MaxUses = int.MaxValue;
    public const int MinFileLifetime = 60;
    public static readonly int MaxFileLifetime = (int)SigningSettings.LongestFileLifetime.TotalSeconds;

    /// <summary>Every field of a policy as it would be stored (a new one, or one patched): each bad one named.</summary>
    public static void Check(ValidationErrors errors, string? name, PolicyTerms terms)
    {
        Text.Name(errors, "name", name, NameMaxLength);
        Range(errors, "duration", terms.Duration, MinDuration, MaxDuration, nullable: true);
        if (!ExpirationBasis.All.Contains(terms.ExpirationBasis))
            errors.Add("expirationBasis", "must be " + string.Join(", ", ExpirationBasis.All));
        Range(errors, "maxMachines", terms.MaxMachines, MinMaxMachines, MaxMaxMachines, nullable: true);
        Range(errors, "heartbeatSeconds", terms.HeartbeatSeconds, MinHeartbeat, MaxHeartbeat, nullable: true);
        Range(errors, "maxConcurrent", terms.MaxConcurrent, MinConcurrent, MaxConcurrent, nullable: true);
        Range(errors, "leaseSeconds", terms.LeaseSeconds, MinLease, MaxLease, nullable: false);
        Range(errors, "maxBorrowSeconds", terms.MaxBorrowSeconds, MinBorrow, MaxBorrow, nullable: false);
        Range(errors, "maxUses", terms.MaxUses, MinUses, MaxUses, nullable: true);
        Range(errors, "fileLifetime", terms.FileLifetime, MinFileLifetime, MaxFileLifetime, nullable: true);
    }

    public static void Range(ValidationErrors errors, string field, long? value, long min, long max, bool nullable)
    {
        if (value is { } given && (given < min || given > max))
            errors.Add(field, $"must be a whole number from {min} to {max}{(nullable ? ", or null" : "")}");
    }
}
