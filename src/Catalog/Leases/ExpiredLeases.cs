using Catalog.Hosting;
using Catalog.Licenses;

namespace Catalog.Leases;

/// <summary>Records the leases past their expiry (<see cref="LeaseExpired"/>), within <c>Sweeps:Every</c>. Their slots were free from that instant already.</summary>
public sealed class ExpiredLeases(IDocumentStore store, TimeProvider time, IConfiguration configuration, ILogger<ExpiredLeases> logger)
    : Sweep(store, typeof(Lease), time, configuration, logger) // live leases only are kept: a small table
{
    protected override string What => "expired leases";

    protected override async Task Record(IDocumentSession session, Guid licenseId, DateTimeOffset now, CancellationToken token)
    {
        var (stream, _, license) = await LicenseStream.Lock(session, licenseId, token);
        var leases = await session.Query<Lease>().Where(x => x.LicenseId == licenseId).ToListAsync(token);
        if (license is null) session.DeleteWhere<Lease>(x => x.LicenseId == licenseId);
        else stream.AppendMany(LeaseRules.Expiries(leases, license, now));
    }
}
