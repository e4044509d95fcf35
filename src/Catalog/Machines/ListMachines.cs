using Catalog.Http;
using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Catalog.Accounts;
using Catalog.Conventions;
using Catalog.Licenses;
using License = Catalog.Licenses.License;
using Marten;
using Marten.Linq.MatchesSql;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;
using Wolverine.Http.Marten;

namespace Catalog.Machines;

[Tags("Machines")]
public static class ListMachinesEndpoint
{
    public static ProblemDetails Validate(HttpRequest request, [FromQuery] int? limit) => Pagination.Check(request.Query, limit);

    /// <summary>The license's active machines, newest first, paginated as products (404 for another account's license).</summary>
    [WolverineGet("/api/v1/licenses/{id}/machines", OperationId = "listMachines", Summary = "List a license's active machines")]
    [Authorize(Scopes.LicensesRead)]
    public static async Task<Page<MachineDetails>> Get([Document("id")] License license,
        [FromQuery, Description(Pagination.CursorDescription)] Guid? cursor,
        [FromQuery, Description(Pagination.LimitDescription), Range(1, Pagination.MaxLimit), DefaultValue(Pagination.DefaultLimit)] int? limit,
        IQuerySession session, CancellationToken token)
    {
        var take = limit ?? Pagination.DefaultLimit;
        var query = session.Query<Machine>().Where(x => x.LicenseId == license.Id && x.DeactivatedAt == null);
        if (cursor is { } after) query = query.Where(x => x.MatchesSql("d.id < ?", after));
        var machines = await query.OrderByDescending(x => x.Id).Take(take + 1).ToListAsync(token);
        return Pagination.Of(machines, take, MachineDetails.From, x => x.Id.ToString());
    }
}
