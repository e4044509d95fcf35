using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Catalog.Conventions;

namespace Catalog.Entitlements;

// The events of an entitlement's stream (stream id = entitlement id): full values, not diffs.

public record EntitlementCreated(Guid EntitlementId, string Code, string Name, Dictionary<string, JsonElement> Metadata, DateTimeOffset CreatedAt);

public record EntitlementUpdated(Guid EntitlementId, string Name, Dictionary<string, JsonElement> Metadata, DateTimeOffset UpdatedAt);

public record EntitlementDeleted(Guid EntitlementId, string Code, DateTimeOffset DeletedAt);

/// <summary>
/// A feature a license may grant (<c>export-pdf</c>), projected inline from its stream. Deleted for good, not softly:
/// only while nothing grants it, so no policy or license is left naming a code that is gone, and the code is free again.
/// </summary>
public sealed record Entitlement(
    Guid Id,
    string Code,
    string Name,
    Dictionary<string, JsonElement> Metadata,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt)
{
    public static Entitlement Create(EntitlementCreated e) => new(e.EntitlementId, e.Code, e.Name, e.Metadata, e.CreatedAt, e.CreatedAt);

    public Entitlement Apply(EntitlementUpdated e) => this with { Name = e.Name, Metadata = e.Metadata, UpdatedAt = e.UpdatedAt };

    public bool ShouldDelete(EntitlementDeleted e) => true;
}

/// <summary>An entitlement as the API shows it.</summary>
[SchemaName("Entitlement")]
[SchemaExample("""
    {"id": "0193f0a1-4c82-7e6f-a023-9b7c4d8e5f60", "code": "export-pdf", "name": "Export to PDF", "metadata": {},
     "createdAt": "2026-01-10T08:00:00.000Z", "updatedAt": "2026-01-10T08:00:00.000Z"}
    """)]
public record EntitlementDetails(
    Guid Id,
    string Code,
    string Name,
    Dictionary<string, JsonElement> Metadata,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt) : IHasLocation
{
    [JsonIgnore] public string Location => $"/api/v1/entitlements/{Id}";

    public static EntitlementDetails From(Entitlement e) => new(e.Id, e.Code, e.Name, e.Metadata, e.CreatedAt, e.UpdatedAt);
}

/// <summary>The contract's rules for entitlements' fields.</summary>
public static partial class EntitlementRules
{
    public const int NameMaxLength = 255;
    private const string CodeCharacters = "[A-Za-z0-9._-]{1,50}";
    public const string CodePattern = "^" + CodeCharacters + "$";
    public const string CodeRule = "1-50 characters of A-Z a-z 0-9 - _ .; unique in the account ignoring case; immutable.";

    public static bool IsCode(string code) => CodeRegex().IsMatch(code);

    public static void Code(ValidationErrors errors, string? code)
    {
        if (code is null) errors.Add("code", "is required");
        else if (!IsCode(code)) errors.Add("code", "must be 1-50 characters of A-Z a-z 0-9 - _ .");
    }

    public static void Name(ValidationErrors errors, string? name) => Text.Name(errors, "name", name, NameMaxLength);

    // \z, not the pattern's $ (shown in the API description, which .NET also matches before a final newline).
    [GeneratedRegex("^" + CodeCharacters + @"\z")]
    private static partial Regex CodeRegex();
}

/// <summary>
/// What grants entitlements (policies, licenses), each telling whether one grants a code: such an entitlement cannot
/// be deleted. Registered by the slices that grant, so that this one knows none of them.
/// </summary>
public interface IEntitlementGrants
{
    /// <summary>What grants <paramref name="code"/> in the session's account, in a few words ("policy Pro"), or null.</summary>
    Task<string?> GrantOf(IQuerySession session, string code, CancellationToken token);
}
