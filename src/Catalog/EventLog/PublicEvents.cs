using Catalog.Conventions;
using Catalog.Entitlements;
using Catalog.Licenses;
using Catalog.Policies;
using Catalog.Products;

namespace Catalog.EventLog;

/// <summary>
/// The events subscribers see, by their public dotted names. Payloads are the event records written with the
/// API's JSON conventions (camelCase, millisecond timestamps): no .NET type names ever leave the service, and
/// renaming a C# type would not change what subscribers receive.
/// </summary>
public static class PublicEvents
{
    public const string ProductCreatedName = "product.created";
    public const string ProductUpdatedName = "product.updated";
    public const string ProductDeletedName = "product.deleted";
    public const string LicenseIssuedName = "license.issued";
    public const string LicenseRevokedName = "license.revoked";
    public const string LicenseUpdatedName = "license.updated";
    public const string LicenseSuspendedName = "license.suspended";
    public const string LicenseReinstatedName = "license.reinstated";
    public const string LicenseUsageIncrementedName = "license.usage.incremented";
    public const string LicenseUsageResetName = "license.usage.reset";
    public const string MachineActivatedName = "machine.activated";
    public const string MachineDeactivatedName = "machine.deactivated";
    public const string MachineHeartbeatDeadName = "machine.heartbeat.dead";
    public const string LeaseGrantedName = "lease.granted";
    public const string LeaseReleasedName = "lease.released";
    public const string LeaseExpiredName = "lease.expired";
    public const string PolicyCreatedName = "policy.created";
    public const string PolicyUpdatedName = "policy.updated";
    public const string PolicyDeletedName = "policy.deleted";
    public const string EntitlementCreatedName = "entitlement.created";
    public const string EntitlementUpdatedName = "entitlement.updated";
    public const string EntitlementDeletedName = "entitlement.deleted";

    private static readonly Dictionary<Type, string> NamesByType = new()
    {
        [typeof(ProductCreated)] = ProductCreatedName,
        [typeof(ProductUpdated)] = ProductUpdatedName,
        [typeof(ProductDeleted)] = ProductDeletedName,
        [typeof(LicenseIssued)] = LicenseIssuedName,
        [typeof(LicenseRevoked)] = LicenseRevokedName,
        [typeof(LicenseUpdated)] = LicenseUpdatedName,
        [typeof(LicenseSuspended)] = LicenseSuspendedName,
        [typeof(LicenseReinstated)] = LicenseReinstatedName,
        [typeof(LicenseUsageIncremented)] = LicenseUsageIncrementedName,
        [typeof(LicenseUsageReset)] = LicenseUsageResetName,
        [typeof(MachineActivated)] = MachineActivatedName,
        [typeof(MachineDeactivated)] = MachineDeactivatedName,
        [typeof(Machines.MachineHeartbeatDead)] = MachineHeartbeatDeadName,
        [typeof(LeaseGranted)] = LeaseGrantedName,
        [typeof(LeaseReleased)] = LeaseReleasedName,
        [typeof(LeaseExpired)] = LeaseExpiredName,
        [typeof(PolicyCreated)] = PolicyCreatedName,
        [typeof(PolicyUpdated)] = PolicyUpdatedName,
        [typeof(PolicyDeleted)] = PolicyDeletedName,
        [typeof(EntitlementCreated)] = EntitlementCreatedName,
        [typeof(EntitlementUpdated)] = EntitlementUpdatedName,
        [typeof(EntitlementDeleted)] = EntitlementDeletedName,
    };

    private static readonly Dictionary<string, Type> TypesByName = NamesByType.ToDictionary(x => x.Value, x => x.Key);

    public static IReadOnlyCollection<string> Names => TypesByName.Keys;

    public static IReadOnlyCollection<Type> Types => NamesByType.Keys;

    public static string? NameOf(Type eventType) => NamesByType.GetValueOrDefault(eventType);

    /// <summary>
    /// License events carry license keys, machine events the fingerprints only licenses:read may list, lease events
    /// what runs where: reading them, or subscribing to them, needs licenses:read too.
    /// </summary>
    public static bool IsLicenseEvent(string name) =>
        name.StartsWith("license.", StringComparison.Ordinal) || name.StartsWith("machine.", StringComparison.Ordinal)
        || name.StartsWith("lease.", StringComparison.Ordinal);

    public static Type? TypeNamed(string name) => TypesByName.GetValueOrDefault(name);

    public static JsonElement Payload(object data) => JsonSerializer.SerializeToElement(data, data.GetType(), ApiJson.Options);
}

/// <summary>One of the public event names, as the API describes it: the list is <see cref="PublicEvents"/>' own, so it cannot drift.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter | AttributeTargets.Field)]
public sealed class PublicEventNameAttribute() : AllowedValuesAttribute(PublicEvents.Names.Cast<object?>().ToArray());
