using JasperFx.Events.Projections;
using Marten;

namespace Catalog.Licenses;

/// <summary>
/// Licenses: issuing and revoking on their product's stream, the rest on the license's own stream; license
/// documents projected inline; keys drawn at random; the license key as the client endpoints' credential.
/// </summary>
public static class LicensesConfiguration
{
    /// <summary>Keys are unique across the whole service, not only within an account.</summary>
    public const string KeyIndex = "mt_doc_license_uidx_key";

    public static StoreOptions ConfigureLicenses(this StoreOptions options)
    {
        options.Projections.Add<LicenseProjection>(ProjectionLifecycle.Inline);
        // Machines: one document per active machine, and the license stream's snapshot of its active machines,
        // which the seat decision reads under the stream's lock.
        options.Projections.Add<MachineProjection>(ProjectionLifecycle.Inline);
        options.Projections.Snapshot<LicenseSeats>(SnapshotLifecycle.Inline);
        options.Schema.For<Machine>().MultiTenanted().Index(x => x.LicenseId);
        options.Schema.For<LicenseSeats>().MultiTenanted();
        options.Schema.For<License>()
            .MultiTenanted()
            // An integer revision, as when licenses were an aggregation: the table keeps its shape, so existing
            // databases need no migration.
            .UseNumericRevisions(true)
            .UniqueIndex(Marten.Schema.UniqueIndexType.Computed, KeyIndex, x => x.Key)
            .Index(x => x.ProductId);
        return options;
    }

    public static IServiceCollection AddLicenses(this IServiceCollection services)
    {
        services.AddSingleton<LicenseKeys>();
        // The client endpoints' credential: the license key itself (Accounts/ forwards "License <key>" here).
        services.AddSingleton<LicenseKeyDirectory>();
        services.AddAuthentication()
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, LicenseKeyAuthenticationHandler>(
                Conventions.CatalogClaims.LicenseKeyScheme, null);
        return services;
    }
}
