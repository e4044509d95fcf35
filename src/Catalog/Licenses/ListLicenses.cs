using Catalog.Http;
using System.ComponentModel;
using Catalog.Accounts;
using Catalog.Conventions;
using Catalog.Policies;
using Marten.Linq.MatchesSql;

namespace Catalog.Licenses;

/// <summary>A page of licenses, optionally of one product and in one status.</summary>
public record LicensePageRequest : PageRequest
{
    [FromQuery(Name = "productId"), Description("Only this product's licenses.")]
    public Guid? ProductId { get; set; }

    [FromQuery(Name = "status"), Description("Only licenses in this status, as of now."),
     AllowedValues(LicenseStatus.Active, LicenseStatus.Expired, LicenseStatus.Revoked, LicenseStatus.Suspended)]
    public string? Status { get; set; }

    [FromQuery(Name = "key"), Description("Only the license with this key (a support desk's search): at most one.")]
    public string? Key { get; set; }
}

[Tags("Licenses")]
public static class ListLicensesEndpoint
{
    public static ProblemDetails Validate(HttpRequest request, [AsParameters] LicensePageRequest page)
    {
        // An empty filter is a mistake, not "no filter": a script that lost its variable must not act on every license.
        var errors = new ValidationErrors();
        if (request.Query.TryGetValue("productId", out var product) && string.IsNullOrEmpty(product))
            errors.Add("productId", "must be a product id (leave the parameter out for every product)");
        if (request.Query.ContainsKey("status") && (page.Status is null || !LicenseStatus.All.Contains(page.Status)))
            errors.Add("status", $"must be one of {string.Join(", ", LicenseStatus.All)}");
        if (request.Query.ContainsKey("key") && (page.Key is null || !LicenseKeys.IsWellFormed(page.Key)))
            errors.Add("key", "must be a license key, e.g. DSK-A2B3-C4D5-E6F7-G8H9");
        return errors.ToProblem();
    }

    /// <summary>
    /// Newest first, optionally for one product, one status and one key. Status is worked out from the stored dates at the time
    /// of the request, so "expired" needs no job to keep it true.
    /// </summary>
    [ReadMayLag]
    [WolverineGet("/api/v1/licenses", OperationId = "listLicenses", Summary = "List licenses, newest first")]
    [Authorize(Scopes.LicensesRead)]
    public static async Task<Page<LicenseDetails>> Get([AsParameters] LicensePageRequest page, IQuerySession session, TimeProvider time,
        CancellationToken token)
    {
        var now = time.GetUtcNow();
        var fetched = await Page(session, page.ProductId, page.Status, page.Cursor, now, page.Take + 1, page.Key).ToListAsync(token);
        var policies = await PoliciesOf(session, fetched, token);
        return Pagination.Of(fetched, page.Take, x => LicenseDetails.From(x, x.PolicyId is { } id ? policies[id] : null, now), x => x.Id.ToString());
    }

    /// <summary>The policies of these licenses, read in one go (and not at all when none has one).</summary>
    public static async Task<IReadOnlyDictionary<Guid, Policy?>> PoliciesOf(IQuerySession session, IReadOnlyList<License> licenses,
        CancellationToken token)
    {
        var ids = licenses.Select(x => x.PolicyId).OfType<Guid>().Distinct().ToArray();
        var found = ids.Length == 0 ? [] : await session.LoadManyAsync<Policy>(token, ids);
        return ids.ToDictionary(id => id, id => found.FirstOrDefault(x => x.Id == id));
    }

    /// <summary>Up to <paramref name="count"/> of the session's account's licenses, newest first, after the cursor.</summary>
    public static IQueryable<License> Page(IQuerySession session, Guid? productId, string? status, Guid? cursor, DateTimeOffset now, int count,
        string? key = null)
    {
        var licenses = session.Query<License>().AsQueryable();
        // The key's unique index: one entry read, whatever the account holds (unordered: see the end).
        if (key is not null) licenses = licenses.Where(x => x.Key == key);
        // Only a product of the key's account: another account's product id (license files carry them) must not
        // walk that product's licenses, however many. The check is a one-time filter: PostgreSQL reads no license
        // at all when it fails, and the answer is an empty page as for any product without licenses.
        if (productId is { } product)
            licenses = licenses.Where(x => x.ProductId == product).Where(x => x.MatchesSql(
                $"exists (select 1 from {session.DocumentStore.Options.Schema.For<Products.Product>()} p where p.tenant_id = ? and p.id = ?)",
                session.TenantId, product));
        // The same precedence as License.StatusAt: revoked, then suspended, then expired, else active.
        licenses = status switch
        {
            LicenseStatus.Revoked => licenses.Where(x => x.RevokedAt != null),
            LicenseStatus.Suspended => licenses.Where(x => x.RevokedAt == null && x.SuspendedAt != null),
            LicenseStatus.Expired => licenses.Where(x => x.RevokedAt == null && x.SuspendedAt == null && x.ExpiresAt != null && x.ExpiresAt <= now),
            LicenseStatus.Active => licenses.Where(x => x.RevokedAt == null && x.SuspendedAt == null && (x.ExpiresAt == null || x.ExpiresAt > now)),
            null => licenses,
            _ => throw new ArgumentOutOfRangeException(nameof(status), status, "not a license status")
        };
        if (cursor is { } after) licenses = licenses.Where(x => x.MatchesSql("d.id < ?", after));
        // One key is at most one license: no order to keep, so that no plan walks the account's ids newest first
        // filtering keys (the planner took that walk for a small account, and would for one its statistics missed).
        return key is null ? licenses.OrderByDescending(x => x.Id).Take(count) : licenses.Take(count);
    }
}
