using Catalog.Http;
using JasperFx.Events.Projections;
using Catalog.Hosting;
using Marten.Schema.Indexing.Unique;
using Weasel.Postgresql.Tables;

namespace Catalog.Licenses;

/// <summary>
/// Licenses: issuing and revoking on their product's stream, the rest on the license's own stream; license
/// documents projected inline; keys drawn at random; the license key as the client endpoints' credential.
/// </summary>
public static class LicensesConfiguration
{
    /// <summary>Keys are unique across the whole service, not only within an account.</summary>
    public const string KeyIndex = "mt_doc_license_uidx_key";

    /// <summary>What <c>status=revoked</c> asks, as PostgreSQL writes it (the partial indexes' predicate).</summary>
    private const string Revoked = "(data ->> 'RevokedAt'::text) IS NOT NULL";

    public static StoreOptions ConfigureLicenses(this StoreOptions options)
    {
        options.Projections.Add<LicenseProjection>(ProjectionLifecycle.Inline);
        // The license stream's snapshot of its taken seats, which the seat decisions read under the stream's lock.
        options.Projections.Snapshot<LicenseSeats>(SnapshotLifecycle.Inline);
        options.Schema.For<LicenseSeats>().MultiTenanted();
        options.Schema.For<License>()
            .MultiTenanted()
            // An integer revision, as when licenses were an aggregation: the table keeps its shape, so existing
            // databases need no migration.
            .UseNumericRevisions(true)
            // One database: keys unique across accounts here. Shards: within the account here (an index on a table
            // partitioned by account must include it), across the service in the directory (LicenseKeyReservations).
            .UniqueIndex(Marten.Schema.UniqueIndexType.Computed, KeyIndex,
                options.Tenancy is Marten.Storage.ShardedTenancy ? TenancyScope.PerTenant : TenancyScope.Global, x => x.Key)
            // A product's licenses newest first (ids are time-ordered): one index range, however many licenses
            // other products have. Product ids are unique service-wide, so the account needs no column of its own.
            .Index([x => x.ProductId, x => x.Id], index => index.Name = "mt_doc_license_idx_product_id_id")
            // Revoked licenses are few among many: listing them reads only them, for a product or the whole account.
            .Index([x => x.ProductId, x => x.Id], index =>
            {
                index.Name = "mt_doc_license_idx_product_id_id_revoked";
                index.Predicate = Revoked;
            });
        return options.IndexDocuments<License>(
            new IndexDefinition("mt_doc_license_idx_tenant_id_id_revoked") { Columns = ["tenant_id", "id"], Predicate = Revoked });
    }

    /// <summary>With shards, the directory's entry of each license key (<see cref="LicenseKeyReservations"/>).</summary>
    public static StoreOptions ConfigureLicenseKeys(this StoreOptions directory, IConfiguration configuration)
    {
        if (Database.IsSharded(configuration)) directory.Schema.For<LicenseKeyEntry>();
        return directory;
    }

    public static IServiceCollection AddLicenses(this IServiceCollection services, IConfiguration configuration)
    {
        if (Database.IsSharded(configuration))
            services.ConfigureMarten((provider, options) => options.Listeners.Add(new LicenseKeyReservations(provider)));
        services.AddSingleton<LicenseKeys>();
        services.AddSingleton<Entitlements.IEntitlementGrants, LicensesGrantEntitlements>();
        services.AddSingleton<Marten.Schema.IInitialData, StampLicenseAccounts>();
        // The client endpoints' credential: the license key itself ("Authorization: License <key>").
        services.AddSingleton<LicenseKeyDirectory>();
        services.AddSingleton<ICredentialKind>(provider => provider.GetRequiredService<LicenseKeyDirectory>());
        return services;
    }
}
