using Catalog.Accounts;
using Catalog.Hosting;
using JasperFx.CommandLine;

namespace Catalog.Licenses;

public class LicensesInput : CommandInput
{
    [Description("list")]
    public string Action { get; set; } = "";

    [Description("The account whose licenses to show")]
    public string? AccountFlag { get; set; }

    [Description("Only this product's licenses")]
    public string? ProductFlag { get; set; }
}

[Description("List an account's licenses (newest first)", Name = "licenses")]
public class LicensesCommand : JasperFxAsyncCommand<LicensesInput>
{
    public override Task<bool> Execute(LicensesInput input) => CommandOutput.Run(async () =>
    {
        if (input.Action != "list") throw new AdministrationException($"unknown action '{input.Action}': use list");
        if (!Guid.TryParse(input.AccountFlag, out var accountId))
            throw new AdministrationException("--account <accountId> is required (a UUID)");
        Guid? productId = null;
        if (input.ProductFlag is not null)
            productId = Guid.TryParse(input.ProductFlag, out var p) ? p : throw new AdministrationException("--product must be a product id (a UUID)");

        using var host = input.BuildHost();
        var store = host.Services.GetRequiredService<IDocumentStore>();
        await AccountAdministration.FindAccount(host.Services.GetRequiredService<IDirectoryStore>(), input.AccountFlag); // an unknown account is an error, not an empty list
        var now = host.Services.GetRequiredService<TimeProvider>().GetUtcNow();

        await using var session = store.QuerySession(accountId.ToString());
        var query = session.Query<License>().AsQueryable();
        if (productId is { } id) query = query.Where(x => x.ProductId == id);
        var found = await query.OrderByDescending(x => x.Id).ToListAsync();
        var policies = await ListLicensesEndpoint.PoliciesOf(session, found, CancellationToken.None);
        var licenses = found.Select(x => LicenseDetails.From(x, x.PolicyId is { } p ? policies[p] : null, now)).ToList();

        if (input.JsonFlag) CommandOutput.Json(new { data = licenses });
        else foreach (var l in licenses) Console.WriteLine($"{l.Id}  {l.Key}  {l.Status,-7}  product {l.ProductId}");
    });
}
