using Catalog.Licenses;
using JasperFx.Events.Projections;

namespace Catalog.Leases;

/// <summary>Leases: one document per live lease, projected inline from the license stream's lease events; the expiry sweep.</summary>
public static class LeasesConfiguration
{
    public static StoreOptions ConfigureLeases(this StoreOptions options)
    {
        options.Projections.Add<LeaseProjection>(ProjectionLifecycle.Inline);
        // A license's leases: the grant counts its live ones (one index range), the vendor lists them newest first.
        options.Schema.For<Lease>().MultiTenanted().Duplicate(x => x.LicenseId);
        return options;
    }

    public static IServiceCollection AddLeases(this IServiceCollection services) =>
        services.AddHostedService<ExpiredLeases>();
}
