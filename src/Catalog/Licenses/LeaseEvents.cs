namespace Catalog.Licenses;

// A lease is a slot of a floating license held by running software (its read model and rules: Leases/). Its events
// live on the license's own stream, as machines' do: a grant takes that stream's lock, so maxConcurrent is exact under
// any number of concurrent requests, on any number of nodes. Renewals, like heartbeats, are not events.

/// <summary>A lease was granted until <c>ExpiresAt</c>; <c>Borrowed</c>: a long one whose answer carried a license file.</summary>
public record LeaseGranted(Guid LeaseId, Guid LicenseId, Guid ProductId, Guid? MachineId, DateTimeOffset GrantedAt, DateTimeOffset ExpiresAt,
    bool Borrowed);

/// <summary>A lease was ended before its expiry, by the software holding it (<c>client</c>) or the vendor (<c>vendor</c>): its slot is free.</summary>
public record LeaseReleased(Guid LeaseId, Guid LicenseId, Guid ProductId, Guid? MachineId, DateTimeOffset ReleasedAt, string By);

/// <summary>
/// A lease passed its expiry unrenewed: its slot was free from <c>ExpiredAt</c>, and this records it (within a minute,
/// once) at <c>RecordedAt</c>.
/// </summary>
public record LeaseExpired(Guid LeaseId, Guid LicenseId, Guid ProductId, Guid? MachineId, DateTimeOffset ExpiredAt, DateTimeOffset RecordedAt);
