using Catalog.Hosting;
using JasperFx.CommandLine;

namespace Catalog.Accounts;

public class ApiKeysInput : CommandInput
{
    [Description("create | list | revoke")]
    public string Action { get; set; } = "";

    [Description("The key to revoke (revoke)")]
    public string? KeyId { get; set; }

    [Description("The account the key belongs to (create, list)")]
    public string? AccountFlag { get; set; }

    [Description("Comma-separated scopes, e.g. products:read,products:write (create)")]
    public string? ScopesFlag { get; set; }

    [Description("A name to recognise the key by (create)")]
    public string? NameFlag { get; set; }
}

/// <summary>What a listing shows of a key: never its secret or hash.</summary>
public record ApiKeyListing(Guid Id, Guid AccountId, string? Name, string[] Scopes, string Hint, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt)
{
    public static ApiKeyListing From(ApiKey key) =>
        new(key.Id, key.AccountId, key.Name, key.Scopes, key.Hint, key.CreatedAt, key.RevokedAt);
}

[Description("Create, list and revoke API keys", Name = "api-keys")]
public class ApiKeysCommand : JasperFxAsyncCommand<ApiKeysInput>
{
    public ApiKeysCommand()
    {
        Usage("Create or list keys").Arguments(x => x.Action);
        Usage("Revoke a key").Arguments(x => x.Action, x => x.KeyId!);
    }

    public override Task<bool> Execute(ApiKeysInput input) => CommandOutput.Run(async () =>
    {
        using var host = input.BuildHost();
        var store = host.Services.GetRequiredService<IDirectoryStore>();
        var time = host.Services.GetRequiredService<TimeProvider>();

        switch (input.Action)
        {
            default:
                throw new AdministrationException($"unknown action '{input.Action}': use create | list | revoke");

            case "create":
                var (key, secret) = await AccountAdministration.CreateApiKey(store, input.AccountFlag, input.ScopesFlag, input.NameFlag, time);
                if (input.JsonFlag)
                {
                    CommandOutput.Json(new { key.Id, Key = secret, key.AccountId, key.Name, key.Scopes, key.CreatedAt });
                }
                else
                {
                    Console.WriteLine($"Created API key {key.Id} for account {key.AccountId} with scopes {string.Join(",", key.Scopes)}");
                    Console.WriteLine($"Key (shown only now): {secret}");
                }
                break;

            case "list":
                var keys = (await AccountAdministration.ListApiKeys(store, input.AccountFlag)).Select(ApiKeyListing.From).ToList();
                if (input.JsonFlag) CommandOutput.Json(new { data = keys });
                else foreach (var k in keys)
                    Console.WriteLine($"{k.Id}  {k.Hint}  {(k.RevokedAt is null ? "active " : "revoked")}  {string.Join(",", k.Scopes)}  {k.Name}");
                break;

            case "revoke":
                var revoked = await AccountAdministration.RevokeApiKey(store, input.KeyId, time);
                if (input.JsonFlag) CommandOutput.Json(ApiKeyListing.From(revoked));
                else Console.WriteLine($"Revoked API key {revoked.Id} at {revoked.RevokedAt:O}");
                break;
        }
    });
}
