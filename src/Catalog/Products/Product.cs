using System.Text.Json.Serialization;
using Catalog.Conventions;

namespace Catalog.Products;

// The events of a product's stream (stream id = product id). They carry full values, not diffs, so a
// subscriber never needs earlier events to know what a product looks like now.

public record ProductCreated(
    Guid ProductId,
    Guid AccountId,
    string Name,
    string Code,
    string? Description,
    string KeyPrefix,
    Dictionary<string, JsonElement> Metadata,
    DateTimeOffset CreatedAt);

public record ProductUpdated(
    Guid ProductId,
    string Name,
    string? Description,
    string KeyPrefix,
    Dictionary<string, JsonElement> Metadata,
    DateTimeOffset UpdatedAt);

public record ProductDeleted(Guid ProductId, DateTimeOffset DeletedAt);

// A license's issue and revocation, written by the Licenses slice, live on the product's stream: they take the
// product stream's lock, so the product's licensesCount, kept by the product's inline projection in the same
// transaction, can never drift from the events, however many clients issue at once. The license's own read model
// is built from them too (Licenses/License.cs).

public record LicenseIssued(
    Guid LicenseId,
    Guid ProductId,
    string Key,
    DateTimeOffset? ExpiresAt,
    Dictionary<string, JsonElement> Metadata,
    DateTimeOffset IssuedAt,
    int? MaxMachines = null,
    Guid? PolicyId = null,
    List<string>? Entitlements = null,
    int? MaxUses = null,
    bool ClockPending = false);

public record LicenseRevoked(Guid LicenseId, Guid ProductId, DateTimeOffset RevokedAt);

/// <summary>
/// The product read model, built by an inline projection of the product's stream: Marten applies the events
/// and stores this document in the same transaction that appends them. The same pure functions let an
/// endpoint compute the state its response shows without reading it back.
/// </summary>
public sealed record Product(
    Guid Id,
    Guid AccountId,
    string Name,
    string Code,
    string? Description,
    string KeyPrefix,
    int LicensesCount,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? DeletedAt,
    Dictionary<string, JsonElement> Metadata)
{
    public const string DefaultKeyPrefix = "LIC";

    public bool IsDeleted => DeletedAt is not null;

    public static Product Create(ProductCreated e) =>
        new(e.ProductId, e.AccountId, e.Name, e.Code, e.Description, e.KeyPrefix, 0, e.CreatedAt, e.CreatedAt, null, e.Metadata);

    public Product Apply(ProductUpdated e) => this with
    {
        Name = e.Name, Description = e.Description, KeyPrefix = e.KeyPrefix, Metadata = e.Metadata, UpdatedAt = e.UpdatedAt
    };

    public Product Apply(ProductDeleted e) => this with { DeletedAt = e.DeletedAt, UpdatedAt = e.DeletedAt };

    // licensesCount counts the licenses that are not revoked; a license is revoked at most once.
    public Product Apply(LicenseIssued e) => this with { LicensesCount = LicensesCount + 1 };

    public Product Apply(LicenseRevoked e) => this with { LicensesCount = LicensesCount - 1 };
}

/// <summary>A product as the API shows it on its own.</summary>
[SchemaName("Product")]
[SchemaExample("""
    {"id": "d9e5f0a1-4c82-5e6f-a023-9b7c4d8e5f60", "name": "Desktop App Pro", "code": "desktop-app-pro",
     "description": "Professional desktop application with advanced features", "keyPrefix": "DSK",
     "accountId": "a0b1c2d3-7f15-8192-d356-ce0f1a2b3c4d", "licensesCount": 42,
     "createdAt": "2026-01-10T08:00:00.000Z", "updatedAt": "2026-01-10T08:00:00.000Z", "deletedAt": null, "metadata": {}}
    """)]
public record ProductDetails(
    Guid Id,
    string Name,
    string Code,
    string? Description,
    string KeyPrefix,
    Guid AccountId,
    int LicensesCount,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? DeletedAt,
    Dictionary<string, JsonElement> Metadata) : IHasLocation
{
    [JsonIgnore] public string Location => $"/api/v1/products/{Id}";

    public static ProductDetails From(Product p) => new(p.Id, p.Name, p.Code, p.Description, p.KeyPrefix, p.AccountId,
        p.LicensesCount, p.CreatedAt, p.UpdatedAt, p.DeletedAt, p.Metadata);
}

/// <summary>A product in a list: the seed page's list item, without description and accountId.</summary>
public record ProductSummary(
    Guid Id,
    string Name,
    string Code,
    string KeyPrefix,
    int LicensesCount,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? DeletedAt,
    Dictionary<string, JsonElement> Metadata)
{
    public static ProductSummary From(Product p) =>
        new(p.Id, p.Name, p.Code, p.KeyPrefix, p.LicensesCount, p.CreatedAt, p.UpdatedAt, p.DeletedAt, p.Metadata);
}
