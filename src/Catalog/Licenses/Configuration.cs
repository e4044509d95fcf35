using JasperFx.Events.Projections;
using Marten;

namespace Catalog.Licenses;

/// <summary>Licenses: events on their product's stream, license documents projected inline, keys drawn at random.</summary>
public static class LicensesConfiguration
{
    /// <summary>Keys are unique across the whole service, not only within an account.</summary>
    public const string KeyIndex = "mt_doc_license_uidx_key";

    public static StoreOptions ConfigureLicenses(this StoreOptions options)
    {
        options.Projections.Add<LicenseProjection>(ProjectionLifecycle.Inline);
        options.Schema.For<License>()
            .MultiTenanted()
            // An integer revision, as when licenses were an aggregation: the table keeps its shape, so existing
            // databases need no migration.
            .UseNumericRevisions(true)
            .UniqueIndex(Marten.Schema.UniqueIndexType.Computed, KeyIndex, x => x.Key)
            .Index(x => x.ProductId);
        return options;
    }

    public static IServiceCollection AddLicenses(this IServiceCollection services) =>
        services.AddSingleton<LicenseKeys>();
}
