using Catalog.Http;
using Catalog.Accounts;
using Catalog.Conventions;
using License = Catalog.Licenses.License;

namespace Catalog.Machines;

[Tags("Machines")]
public static class ListMachinesEndpoint
{
    /// <summary>The license's active machines, newest first (404 for another account's license).</summary>
    [WolverineGet("/api/v1/licenses/{id}/machines", OperationId = "listMachines", Summary = "List a license's active machines")]
    [Authorize(Scopes.LicensesRead)]
    public static Task<Page<MachineDetails>> Get([Document("id")] License license, [AsParameters] PageRequest page,
        IQuerySession session, CancellationToken token) =>
        session.Query<Machine>().Where(x => x.LicenseId == license.Id && x.DeactivatedAt == null)
            .NewestFirst(page, x => x.Id, MachineDetails.From, token);
}
