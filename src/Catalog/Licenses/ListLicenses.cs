using Catalog.Accounts;
using Catalog.Conventions;
using Marten;
using Marten.Linq.MatchesSql;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace Catalog.Licenses;

public static class ListLicensesEndpoint
{
    /// <summary>
    /// Newest first, paginated as products, optionally for one product and one status. Status is worked out
    /// from the stored dates at the time of the request, so "expired" needs no job to keep it true.
    /// </summary>
    [WolverineGet("/api/v1/licenses")]
    [Authorize(Scopes.LicensesRead)]
    [ProducesResponseType<Page<LicenseDetails>>(StatusCodes.Status200OK, "application/json")]
    public static async Task<IResult> Get(HttpRequest request, IQuerySession session, TimeProvider time, CancellationToken token)
    {
        var query = request.Query;
        var errors = new ValidationErrors();
        if (!PageRequest.TryParse(query, out var page, out var problem, "productId", "status")) return Results.Problem(problem);

        Guid? productId = null;
        if (query.TryGetValue("productId", out var productText) && productText[0] is { Length: > 0 } p)
        {
            if (Guid.TryParseExact(p, "D", out var parsed)) productId = parsed;
            else errors.Add("productId", "must be a product id (a UUID)");
        }

        string? status = null;
        if (query.TryGetValue("status", out var statusText) && statusText[0] is { Length: > 0 } s)
        {
            if (LicenseStatus.All.Contains(s)) status = s;
            else errors.Add("status", $"must be one of {string.Join(", ", LicenseStatus.All)}");
        }

        if (errors.Any) return Results.Problem(errors.ToProblem());

        var now = time.GetUtcNow();
        var licenses = session.Query<License>().AsQueryable();
        if (productId is { } product) licenses = licenses.Where(x => x.ProductId == product);
        licenses = status switch
        {
            LicenseStatus.Revoked => licenses.Where(x => x.RevokedAt != null),
            LicenseStatus.Expired => licenses.Where(x => x.RevokedAt == null && x.ExpiresAt != null && x.ExpiresAt <= now),
            LicenseStatus.Active => licenses.Where(x => x.RevokedAt == null && (x.ExpiresAt == null || x.ExpiresAt > now)),
            _ => licenses
        };
        if (page.Cursor is { } cursor) licenses = licenses.Where(x => x.MatchesSql("d.id < ?", cursor));

        var fetched = await licenses.OrderByDescending(x => x.Id).Take(page.Limit + 1).ToListAsync(token);
        return Results.Ok(page.Of(fetched, x => LicenseDetails.From(x, now), x => x.Id.ToString()));
    }
}
