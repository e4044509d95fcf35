using Catalog.Hosting;
using Catalog.Licenses;

namespace Catalog.Leases;

/// <summary>Records the leases past their expiry (<see cref="LeaseExpired"/>), within <c>Sweeps:Every</c>. Their slots were free from that instant already.</summary>
public sealed class ExpiredLeases(IDocumentStore store, TimeProvider time, IConfiguration configuration, ILogger<ExpiredLeases> logger)
    : Sweep(store, time, configuration, logger)
{
    // Live leases only are kept (ended ones are deleted): a scan of a small table.
    private readonly string _due = $"""
        select distinct tenant_id, license_id from {store.Options.FindOrResolveDocumentType(typeof(Lease)).TableName.QualifiedName}
        where CAST(data ->> 'ExpiresAt' as timestamptz) <= $1 limit {Batch}
        """;

    protected override string What => "expired leases";

    protected override Task<IReadOnlyList<(string Account, Guid License)>> Due(Marten.Storage.IMartenDatabase database, DateTimeOffset now,
        CancellationToken token) => Pairs(database, _due, now, token);

    protected override async Task Record(IDocumentSession session, Guid licenseId, DateTimeOffset now, CancellationToken token)
    {
        var (stream, _, license) = await LicenseStream.Lock(session, licenseId, token);
        var leases = await session.Query<Lease>().Where(x => x.LicenseId == licenseId).ToListAsync(token);
        if (license is null) session.DeleteWhere<Lease>(x => x.LicenseId == licenseId);
        else stream.AppendMany(LeaseRules.Expiries(leases, license, now));
    }
}
