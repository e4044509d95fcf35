using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Catalog.Conventions;
using JasperFx.Events.Projections;
using Marten;
using Marten.Events.Projections;
using Marten.Patching;

namespace Catalog.Licenses;

// License events live on their product's stream. Issuing and revoking take the product stream's lock, so the
// product's licensesCount, kept by the product's inline projection in the same transaction, can never drift
// from the events, however many clients issue at once.

public record LicenseIssued(
    Guid LicenseId,
    Guid ProductId,
    string Key,
    DateTimeOffset? ExpiresAt,
    Dictionary<string, JsonElement> Metadata,
    DateTimeOffset IssuedAt);

public record LicenseRevoked(Guid LicenseId, Guid ProductId, DateTimeOffset RevokedAt);

public static class LicenseStatus
{
    public const string Active = "active";
    public const string Expired = "expired";
    public const string Revoked = "revoked";

    public static readonly string[] All = [Active, Expired, Revoked];
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
    public bool IsRevoked => RevokedAt is not null;

    public string StatusAt(DateTimeOffset now) =>
        IsRevoked ? LicenseStatus.Revoked
        : ExpiresAt <= now ? LicenseStatus.Expired
        : LicenseStatus.Active;

    public static License Create(LicenseIssued e) =>
        new(e.LicenseId, e.ProductId, e.Key, e.ExpiresAt, null, e.IssuedAt, e.IssuedAt, e.Metadata);

    // LicenseProjection patches the same two fields in SQL: a change here belongs there too.
    public License Apply(LicenseRevoked e) => this with { RevokedAt = e.RevokedAt, UpdatedAt = e.RevokedAt };
}

/// <summary>
/// Licenses are documents of their own, keyed by license id, built from events on the product streams. An event
/// projection rather than an aggregation: an aggregation first loads every document its events touch, a round
/// trip wasted on each issuance, whose license cannot exist yet. A revocation patches the stored license in SQL,
/// queued after its creation, so a rebuild that meets both events in one batch applies them in order.
/// </summary>
public partial class LicenseProjection : EventProjection
{
    public License Create(LicenseIssued e) => License.Create(e);

    public void Project(LicenseRevoked e, IDocumentOperations operations) =>
        operations.Patch<License>(e.LicenseId)
            .Set(x => x.RevokedAt, e.RevokedAt)
            .Set(x => x.UpdatedAt, e.RevokedAt);
}

/// <summary>A license as the API shows it.</summary>
[SchemaName("License")]
public record LicenseDetails(
    Guid Id,
    Guid ProductId,
    [property: RegularExpression(LicenseKeys.Pattern), Description("e.g. DSK-A2B3-C4D5-E6F7-G8H9")] string Key,
    [property: AllowedValues(LicenseStatus.Active, LicenseStatus.Expired, LicenseStatus.Revoked)] string Status,
    DateTimeOffset? ExpiresAt,
    DateTimeOffset? RevokedAt,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    Dictionary<string, JsonElement> Metadata) : IHasLocation
{
    [JsonIgnore] public string Location => $"/api/v1/licenses/{Id}";

    public static LicenseDetails From(License l, DateTimeOffset now) =>
        new(l.Id, l.ProductId, l.Key, l.StatusAt(now), l.ExpiresAt, l.RevokedAt, l.CreatedAt, l.UpdatedAt, l.Metadata);
}

/// <summary>
/// License keys: the product's prefix, then four groups of four characters from A-Z and 0-9 without the
/// look-alikes 0, O, 1 and I (32 symbols, so 80 random bits), e.g. DSK-A2B3-C4D5-E6F7-G8H9.
/// </summary>
public class LicenseKeys
{
    public const string Alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    public const string Pattern = "^[A-Z]{2,10}(-[A-HJ-NP-Z2-9]{4}){4}$";

    public virtual string Next(string prefix)
    {
        var random = RandomNumberGenerator.GetString(Alphabet, 16);
        return $"{prefix}-{random[..4]}-{random[4..8]}-{random[8..12]}-{random[12..]}";
    }
}
