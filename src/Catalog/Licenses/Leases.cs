using Marten.Events.Projections;

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

/// <summary>
/// The lease read model: one document per lease granted and not yet ended (released, or recorded expired). One past
/// <see cref="ExpiresAt"/> holds no slot already, swept or not. A renewal rewrites <see cref="ExpiresAt"/> under the
/// license stream's lock: it is no event, so a rebuild gives each live lease the expiry it was granted with.
/// </summary>
public sealed record Lease(Guid Id, Guid LicenseId, Guid? MachineId, DateTimeOffset GrantedAt, DateTimeOffset ExpiresAt, bool Borrowed)
{
    public bool LivesAt(DateTimeOffset now) => ExpiresAt > now;

    public static Lease From(LeaseGranted e) => new(e.LeaseId, e.LicenseId, e.MachineId, e.GrantedAt, e.ExpiresAt, e.Borrowed);
}

public partial class LeaseProjection : EventProjection
{
    public Lease Create(LeaseGranted e) => Lease.From(e);

    public void Project(LeaseReleased e, IDocumentOperations operations) => operations.Delete<Lease>(e.LeaseId);

    public void Project(LeaseExpired e, IDocumentOperations operations) => operations.Delete<Lease>(e.LeaseId);
}
