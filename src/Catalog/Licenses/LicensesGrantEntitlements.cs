using Catalog.Entitlements;
using Catalog.Policies;
using Marten.Linq.MatchesSql;

namespace Catalog.Licenses;

/// <summary>
/// An entitlement a license grants cannot be deleted: one of its own, or one of a deleted policy it still keeps (a
/// live policy's grants are the Policies slice's to find). Deletions are rare: these scans are not indexed.
/// </summary>
public sealed class LicensesGrantEntitlements : IEntitlementGrants
{
    private const string Grants = "exists (select 1 from jsonb_array_elements_text({0}) as granted where lower(granted) = lower(?))";

    public async Task<string?> GrantOf(IQuerySession session, string code, CancellationToken token)
    {
        // The license by its id: the caller may hold products:write alone, and a license key opens the client endpoints.
        if (await session.Query<License>().Where(x => x.MatchesSql(string.Format(Grants, "d.data -> 'Entitlements'"), code))
                .Select(x => x.Id).FirstOrDefaultAsync(token) is var id && id != Guid.Empty)
            return $"the license {id}";
        var licenses = session.DocumentStore.Options.FindOrResolveDocumentType(typeof(License)).TableName.QualifiedName;
        return await session.Query<Policy>().Where(x => x.DeletedAt != null
                    && x.MatchesSql(string.Format(Grants, "d.data -> 'Terms' -> 'Entitlements'")
                                    + $" and exists (select 1 from {licenses} l where l.tenant_id = d.tenant_id and l.data ->> 'PolicyId' = d.id::text)", code))
                .Select(x => x.Name).FirstOrDefaultAsync(token) is { } name
            ? $"the deleted policy '{name}', which its licenses keep"
            : null;
    }
}
