using Catalog.Secrets;
using Catalog.Hosting;
using JasperFx.CommandLine;

namespace Catalog.Accounts;

public class AccountsInput : CommandInput
{
    [Description("create | list")]
    public string Action { get; set; } = "";

    [Description("The account's name (create)")]
    public string? NameFlag { get; set; }

    [Description("With shards: the shard database (a name under Sharding:Databases) the account lives in; default the one with the fewest accounts (create)")]
    public string? DatabaseFlag { get; set; }
}

[Description("Create and list accounts (the tenants of the API)", Name = "accounts")]
public class AccountsCommand : JasperFxAsyncCommand<AccountsInput>
{
    public override Task<bool> Execute(AccountsInput input) => CommandOutput.Run(async () =>
    {
        using var host = input.BuildHost();
        var directory = host.Services.GetRequiredService<IDirectoryStore>();
        var time = host.Services.GetRequiredService<TimeProvider>();

        switch (input.Action)
        {
            default:
                throw new AdministrationException($"unknown action '{input.Action}': use create | list");

            case "create":
                var (account, shard) = await AccountAdministration.CreateAccount(directory, host.Services.GetRequiredService<IDocumentStore>(),
                    host.Services.GetRequiredService<IConfiguration>(), host.Services.GetRequiredService<SecretBox>(),
                    host.Services.GetServices<INewAccountSetup>(), input.NameFlag, input.DatabaseFlag, time);
                if (input.JsonFlag) CommandOutput.Json(shard is null ? account : new { account.Id, account.Name, account.CreatedAt, Database = shard });
                else Console.WriteLine($"Created account {account.Id} ({account.Name}){(shard is null ? "" : $" in shard {shard}")}");
                break;

            case "list":
                var accounts = await AccountAdministration.ListAccounts(directory);
                if (input.JsonFlag) CommandOutput.Json(new { data = accounts });
                else foreach (var a in accounts) Console.WriteLine($"{a.Id}  {a.CreatedAt:yyyy-MM-dd}  {a.Name}");
                break;
        }
    });
}
