using Catalog.Http;
using Catalog.Accounts;
using Catalog.Conventions;
using Catalog.Policies;
using License = Catalog.Licenses.License;

namespace Catalog.Machines;

[Tags("Machines")]
public static class ListMachinesEndpoint
{
    /// <summary>The license's active machines, newest first (404 for another account's license).</summary>
    [WolverineGet("/api/v1/licenses/{id}/machines", OperationId = "listMachines", Summary = "List a license's active machines")]
    [Authorize(Scopes.LicensesRead)]
    public static async Task<Page<MachineDetails>> Get([Document("id")] License license, [AsParameters] PageRequest page,
        IQuerySession session, CancellationToken token)
    {
        var machines = await session.Query<Machine>().Where(x => x.LicenseId == license.Id && x.DeactivatedAt == null)
            .NewestFirst(page, x => x.Id, x => x, token);
        return await machines.WithHeartbeats(session, license, MachineDetails.From, token);
    }

    /// <summary>A page of a license's machines shown with their heartbeat rows, under the license's policy.</summary>
    public static async Task<Page<T>> WithHeartbeats<T>(this Page<Machine> machines, IQuerySession session, License license,
        Func<Machine, MachineHeartbeat?, Policies.Policy?, T> show, CancellationToken token)
    {
        var beats = (await session.LoadManyAsync<MachineHeartbeat>(token, machines.Data.Select(x => x.Id))).ToDictionary(x => x.Id);
        var policy = await session.PolicyOf(license.PolicyId, token);
        return new(machines.Data.Select(x => show(x, beats.GetValueOrDefault(x.Id), policy)).ToList(), machines.Pagination);
    }
}
