using Catalog.Entitlements;
using JasperFx.Events.Projections;
using Marten.Linq.MatchesSql;

namespace Catalog.Policies;

/// <summary>Policies: one stream each, the document projected inline from it.</summary>
public static class PoliciesConfiguration
{
    public static StoreOptions ConfigurePolicies(this StoreOptions options)
    {
        options.Projections.Snapshot<Policy>(SnapshotLifecycle.Inline);
        // A product's live policies, newest first: one index range.
        options.Schema.For<Policy>().MultiTenanted()
            .Index([x => x.ProductId, x => x.Id], index =>
            {
                index.Name = "mt_doc_policy_idx_product_id_id_live";
                index.Predicate = "(data ->> 'DeletedAt'::text) IS NULL";
            });
        return options;
    }

    public static IServiceCollection AddPolicies(this IServiceCollection services) =>
        services.AddSingleton<IEntitlementGrants, PoliciesGrantEntitlements>();
}

/// <summary>An entitlement a live policy grants cannot be deleted.</summary>
public sealed class PoliciesGrantEntitlements : IEntitlementGrants
{
    public async Task<string?> GrantOf(IQuerySession session, string code, CancellationToken token) =>
        await session.Query<Policy>().Where(x => x.DeletedAt == null
                && x.MatchesSql("exists (select 1 from jsonb_array_elements_text(d.data -> 'Terms' -> 'Entitlements') as granted where lower(granted) = lower(?))", code))
            .Select(x => x.Name).FirstOrDefaultAsync(token) is { } name
            ? $"the policy '{name}'"
            : null;
}
