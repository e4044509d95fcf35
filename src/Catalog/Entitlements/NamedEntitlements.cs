using Catalog.Conventions;
using Marten.Linq.MatchesSql;

namespace Catalog.Entitlements;

/// <summary>
/// The entitlements a request names (a policy's, a license's), found in the account by code ignoring case: each is
/// kept as the entitlement spells it, and the list is sorted, as every answer shows it.
/// </summary>
public sealed record NamedEntitlements(IReadOnlyList<string> Asked, IReadOnlyList<string> Codes)
{
    public const int MaxCount = 100;

    public static readonly NamedEntitlements None = new([], []);

    public static async Task<NamedEntitlements> Find(IQuerySession session, IEnumerable<string>? codes, CancellationToken token)
    {
        var asked = (codes ?? []).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        if (asked.Count == 0 || asked.Count > MaxCount) return new(asked, []);
        var lowered = asked.Select(x => x.ToLowerInvariant()).ToArray();
        // The code index's own expression, so that the lookup is an index scan.
        var found = await session.Query<Entitlement>().Where(x => x.MatchesSql("lower(d.data ->> 'Code') = ANY(?)", new object[] { lowered }))
            .Select(x => x.Code).ToListAsync(token);
        return new(asked, found.Order(StringComparer.Ordinal).ToList());
    }

    public IReadOnlyList<string> Unknown => Asked.Where(x => !Codes.Contains(x, StringComparer.OrdinalIgnoreCase)).ToList();

    public void Check(ValidationErrors errors, string field)
    {
        if (Asked.Count > MaxCount) errors.Add(field, $"must name at most {MaxCount} entitlements");
        else if (Unknown is { Count: > 0 } unknown) errors.Add(field, "names no entitlement of this account: " + string.Join(", ", unknown));
    }
}
