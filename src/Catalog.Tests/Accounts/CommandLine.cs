namespace Catalog.Tests.Accounts;

/// <summary>The admin command line, run as operators run it: the service's own executable, as a process.</summary>
public class CommandLine(AppFixture fixture) : ApiTest(fixture)
{
    [Fact]
    public async Task accounts_are_created_and_listed()
    {
        var created = await Run("accounts", "create", "--name", "Acme Inc", "--json");

        Assert.Equal(0, created.ExitCode);
        Assert.Single(created.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries)); // with --json, the JSON alone
        var account = created.LastJson;
        // With shards, also the shard the account was placed on.
        Assert.Equal(StorageMode.Sharded ? ["id", "name", "createdAt", "database"] : ["id", "name", "createdAt"],
            account.EnumerateObject().Select(x => x.Name));
        Assert.Equal("Acme Inc", account.GetProperty("name").GetString());

        var listed = await Run("accounts", "list", "--json");
        Assert.Equal(0, listed.ExitCode);
        Assert.Contains(listed.LastJson.GetProperty("data").EnumerateArray(),
            x => x.GetProperty("id").GetString() == account.GetProperty("id").GetString());
    }

    [Fact]
    public async Task a_key_created_on_the_command_line_works_until_it_is_revoked()
    {
        var account = (await Run("accounts", "create", "--name", "Keyed", "--json")).LastJson.GetProperty("id").GetString()!;

        var created = await Run("api-keys", "create", "--account", account, "--scopes", "products:read,products:write", "--name", "ci", "--json");

        Assert.Equal(0, created.ExitCode);
        var key = created.LastJson;
        Assert.Equal(["id", "key", "accountId", "name", "scopes", "createdAt"], key.EnumerateObject().Select(x => x.Name));
        Assert.Equal(["products:read", "products:write"], key.GetProperty("scopes").EnumerateArray().Select(x => x.GetString()));
        var client = new Client(Guid.Parse(account), key.GetProperty("id").GetGuid(), key.GetProperty("key").GetString()!);
        Assert.Equal(201, (await Post("/api/v1/products", client, AProduct("from-cli"))).Status);

        var listed = await Run("api-keys", "list", "--account", account, "--json");
        var listing = Assert.Single(listed.LastJson.GetProperty("data").EnumerateArray());
        Assert.Equal(client.KeyId, listing.GetProperty("id").GetGuid());
        Assert.DoesNotContain(client.Key, listed.Output);
        Assert.Equal(JsonValueKind.Null, listing.GetProperty("revokedAt").ValueKind);

        var revoked = await Run("api-keys", "revoke", client.KeyId.ToString());
        Assert.Equal(0, revoked.ExitCode);

        var deadline = DateTime.UtcNow.AddSeconds(5);
        var status = 0;
        while (DateTime.UtcNow < deadline && (status = (await Get("/api/v1/products", client)).Status) != 401)
            await Task.Delay(100);
        Assert.Equal(401, status);
        var relisted = await Run("api-keys", "list", "--account", account, "--json");
        Assert.NotEqual(JsonValueKind.Null, relisted.LastJson.GetProperty("data")[0].GetProperty("revokedAt").ValueKind);
    }

    [Theory]
    [InlineData("accounts", "create")]
    [InlineData("accounts", "create", "--name", "   ")]
    [InlineData("accounts", "rename")]
    [InlineData("api-keys", "create", "--account", "01a21daf-fe24-713c-a358-0672ce5cd2a2", "--scopes", "products:read")]
    [InlineData("api-keys", "create", "--account", "not-an-id", "--scopes", "products:read")]
    [InlineData("api-keys", "create", "--account", "{account}", "--scopes", "products:read,everything")]
    [InlineData("api-keys", "create", "--account", "{account}")]
    [InlineData("api-keys", "revoke", "01a21daf-fe24-713c-a358-0672ce5cd2a2")]
    public async Task bad_arguments_exit_non_zero_with_one_line_on_standard_error(params string[] args)
    {
        var account = await AClient();

        var result = await Run(args.Select(x => x.Replace("{account}", account.AccountId.ToString())).ToArray());

        Assert.NotEqual(0, result.ExitCode);
        Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    private static Task<CommandResult> Run(params string[] args) => CommandLineRunner.Run(args);
}
