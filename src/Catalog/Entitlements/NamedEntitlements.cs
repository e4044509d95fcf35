using Catalog.Conventions;
using Marten.Linq.MatchesSql;

namespace Catalog.Entitlements;

/// <summary>
/// The entitlements a request names (a policy's, a license's), found in the account by code ignoring case: each is
/// kept as the entitlement spells it, and the list is sorted, as every answer shows it.
/// </summary>
public sealed record NamedEntitlements(IReadOnlyList<string?> Asked, IReadOnlyList<string> Codes)
{
    public const int MaxCount = 100;

    public static readonly NamedEntitlements None = new([], []);

    /// <summary>
    /// Finds the codes to grant, each entitlement's stream locked as its deletion locks it (in id order, so that two
    /// grants never deadlock): a deletion either commits first, and the code is unknown here, or waits and then sees
    /// the grant. A code that is no entitlement code at all is unknown without a lookup.
    /// </summary>
    public static async Task<NamedEntitlements> ToGrant(IDocumentSession session, IEnumerable<string?>? codes, CancellationToken token)
    {
        var asked = (codes ?? []).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        var lowered = asked.OfType<string>().Where(EntitlementRules.IsCode).Select(x => x.ToLowerInvariant()).ToArray();
        if (lowered.Length == 0 || asked.Count > MaxCount) return new(asked, []);
        // The code index's own expression, so that the lookup is an index scan.
        var ids = await session.Query<Entitlement>().Where(x => x.MatchesSql("lower(d.data ->> 'Code') = ANY(?)", new object[] { lowered }))
            .Select(x => x.Id).ToListAsync(token);
        var found = new List<string>();
        foreach (var id in ids.Order())
            if ((await session.Events.FetchForExclusiveWriting<Entitlement>(id, token)).Aggregate is { } entitlement)
                found.Add(entitlement.Code);
        return new(asked, found.Order(StringComparer.Ordinal).ToList());
    }

    public IReadOnlyList<string?> Unknown => Asked.Where(x => x is null || !Codes.Contains(x, StringComparer.OrdinalIgnoreCase)).ToList();

    public void Check(ValidationErrors errors, string field)
    {
        if (Asked.Count > MaxCount) errors.Add(field, $"must name at most {MaxCount} entitlements");
        else if (Asked.Contains(null)) errors.Add(field, "must hold codes, not null");
        else if (Unknown is { Count: > 0 } unknown) errors.Add(field, "names no entitlement of this account: " + string.Join(", ", unknown));
    }
}
