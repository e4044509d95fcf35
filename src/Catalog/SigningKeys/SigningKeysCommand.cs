using Catalog.Secrets;
using Catalog.Accounts;
using Catalog.Hosting;
using JasperFx.CommandLine;

namespace Catalog.SigningKeys;

public class SigningKeysInput : CommandInput
{
    [Description("rotate | list | retire")]
    public string Action { get; set; } = "";

    [Description("The key to retire (retire)")]
    public string? Kid { get; set; }

    [Description("The account whose keys to rotate or list (rotate, list)")]
    public string? AccountFlag { get; set; }
}

/// <summary>
/// What operators see of a key: its kid and public half, and whether it signs now, is only published (files it
/// signed still verify), or is retired. Never its private half, sealed or not.
/// </summary>
public record SigningKeyListing(string Kid, Guid AccountId, string Status, string X, DateTimeOffset CreatedAt, DateTimeOffset? RetiredAt)
{
    public const string Signing = "signing", Published = "published", Retired = "retired";

    public static SigningKeyListing From(SigningKey key, bool signs) =>
        new(key.Id, key.AccountId, key.IsRetired ? Retired : signs ? Signing : Published, key.PublicKey, key.CreatedAt, key.RetiredAt);
}

[Description("Rotate, list and retire an account's license-file signing keys", Name = "signing-keys")]
public class SigningKeysCommand : JasperFxAsyncCommand<SigningKeysInput>
{
    public SigningKeysCommand()
    {
        Usage("Rotate or list an account's keys").Arguments(x => x.Action);
        Usage("Retire a key").Arguments(x => x.Action, x => x.Kid!);
    }

    public override Task<bool> Execute(SigningKeysInput input) => CommandOutput.Run(async () =>
    {
        using var host = input.BuildHost();
        var store = host.Services.GetRequiredService<IDirectoryStore>();
        var ring = host.Services.GetRequiredService<SigningKeyRing>();

        switch (input.Action)
        {
            default:
                throw new AdministrationException($"unknown action '{input.Action}': use rotate | list | retire");

            case "rotate":
                await MasterKeyCheck.Verify(store, host.Services.GetRequiredService<SecretBox>());
                var account = await AccountAdministration.FindAccount(store, input.AccountFlag);
                var key = SigningKeyListing.From(await ring.Rotate(account.Id), signs: true);
                if (input.JsonFlag) CommandOutput.Json(key);
                else Console.WriteLine($"Account {key.AccountId} now signs with {key.Kid}; older keys stay in its JWK Set until retired");
                break;

            case "list":
                var owner = await AccountAdministration.FindAccount(store, input.AccountFlag);
                var all = await ring.All(owner.Id);
                var signing = all.FirstOrDefault(x => !x.IsRetired);
                var keys = all.Select(x => SigningKeyListing.From(x, x == signing)).ToList();
                if (input.JsonFlag) CommandOutput.Json(new { data = keys });
                else foreach (var k in keys) Console.WriteLine($"{k.Kid}  {k.Status,-9}  {k.CreatedAt:yyyy-MM-dd}");
                break;

            case "retire":
                if (string.IsNullOrWhiteSpace(input.Kid)) throw new AdministrationException("retire needs the kid: signing-keys retire <kid>");
                var retired = SigningKeyListing.From(await ring.Retire(input.Kid.Trim()), signs: false);
                if (input.JsonFlag) CommandOutput.Json(retired);
                else Console.WriteLine($"Retired {retired.Kid} of account {retired.AccountId}: it is out of the JWK Set and its private key is erased");
                break;
        }
    });
}
