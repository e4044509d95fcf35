using Catalog.Accounts;
using Catalog.Conventions;

namespace Catalog.Licenses;

[Tags("Licenses")]
public static class GetLicenseEndpoint
{
    /// <summary>One license of the key's account; Wolverine answers 404 when there is none.</summary>
    [WolverineGet("/api/v1/licenses/{id}", OperationId = "getLicense", Summary = "Get a license")]
    [Authorize(Scopes.LicensesRead)]
    public static Resource<LicenseDetails> Get([Document("id")] License license, TimeProvider time) =>
        new(LicenseDetails.From(license, time.GetUtcNow()));
}
