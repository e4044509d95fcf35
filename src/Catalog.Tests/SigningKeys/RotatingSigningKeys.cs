using Marten;
using System.Buffers.Text;
using Catalog.Conventions;
using Catalog.LicenseFiles;
using Catalog.SigningKeys;
using Catalog.Tests.LicenseFiles;

namespace Catalog.Tests.SigningKeys;

/// <summary>
/// Each account signs with keys of its own, which operators rotate and retire with the command line. Rotation never
/// breaks a file already handed out; retiring a key does, on purpose.
/// </summary>
public class RotatingSigningKeys(AppFixture fixture) : ApiTest(fixture)
{
    private static Task<CommandResult> Run(params string[] args) => CommandLineRunner.Run(args);

    /// <summary>The account's JWK Set as published (the text a verifier is given).</summary>
    private async Task<string> Jwks(Guid accountId)
    {
        var response = await Get($"/api/v1/accounts/{accountId}/jwks.json", null);
        Assert.True(response.Status == 200, response.ToString());
        return response.Text;
    }

    /// <summary>The kids of a JWK Set, in its order (read strictly).</summary>
    private static IEnumerable<string> KidsIn(string jwks) => JsonSerializer.Deserialize<JwkSet>(jwks, ApiJson.Options)!.Keys.Select(x => x.Kid);

    /// <summary>What the command line writes of a key, or of a list of keys.</summary>
    private static SigningKeyListing KeyIn(CommandResult result) => result.LastJson.Deserialize<SigningKeyListing>(ApiJson.Options)!;

    private static IEnumerable<(string, string)> KidsAndStatusesIn(CommandResult result) =>
        result.LastJson.Deserialize<Resource<List<SigningKeyListing>>>(ApiJson.Options)!.Data.Select(x => (x.Kid, x.Status));

    private async Task<string> AFile(string licenseKey)
    {
        var response = await AsLicense("POST", "/api/v1/client/license-file", licenseKey, "{}");
        Assert.True(response.Status == 200, response.ToString());
        return response.As<LicenseFileDetails>().File;
    }

    private static string KidOf(string file) =>
        JsonDocument.Parse(Base64Url.DecodeFromChars(file.Split('.')[0])).RootElement.GetProperty("kid").GetString()!;

    [Fact]
    public async Task rotation_keeps_files_already_handed_out_valid_and_new_files_carry_the_new_kid_until_the_old_key_is_retired()
    {
        var vendor = await AClient();
        var product = (await CreateProduct(vendor)).Id;
        var licenseKey = (await IssueLicense(vendor, product)).Key;
        var account = vendor.AccountId.ToString();

        var before = await AFile(licenseKey);
        var first = KidOf(before);
        Assert.Equal(first, Assert.Single(KidsIn(await Jwks(vendor.AccountId))));

        var rotated = await Run("signing-keys", "rotate", "--account", account, "--json");
        Assert.True(rotated.ExitCode == 0, rotated.Error);
        Assert.Equal(["kid", "accountId", "status", "x", "createdAt", "retiredAt"], rotated.LastJson.EnumerateObject().Select(x => x.Name));
        var second = KeyIn(rotated).Kid;
        Assert.NotEqual(first, second);
        Assert.Equal("signing", KeyIn(rotated).Status);

        // Both keys are published, the new one first; the old file still verifies; new files are signed by the new key.
        var jwks = await Jwks(vendor.AccountId);
        Assert.Equal([second, first], KidsIn(jwks));
        Assert.True((await Jose.Verify(before, jwks)).Valid);
        var after = await AFile(licenseKey);
        Assert.Equal(second, KidOf(after));
        Assert.True((await Jose.Verify(after, jwks)).Valid);

        var listed = await Run("signing-keys", "list", "--account", account, "--json");
        Assert.True(listed.ExitCode == 0, listed.Error);
        Assert.Equal([(second, "signing"), (first, "published")], KidsAndStatusesIn(listed));

        // The key that signs now cannot be retired: rotate first.
        var refused = await Run("signing-keys", "retire", second);
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Single(refused.Error.Trim().Split('\n'));
        Assert.True(refused.Error.Contains("rotate"), refused.Error);

        var retired = await Run("signing-keys", "retire", first, "--json");
        Assert.True(retired.ExitCode == 0, retired.Error);
        Assert.Equal("retired", KeyIn(retired).Status);
        Assert.Equal(0, (await Run("signing-keys", "retire", first)).ExitCode); // again: nothing changes

        // Out of the JWK Set, so files it signed no longer verify; its private half is gone from the database.
        jwks = await Jwks(vendor.AccountId);
        Assert.Equal([second], KidsIn(jwks));
        Assert.Equal("ERR_JWKS_NO_MATCHING_KEY", (await Jose.Verify(before, jwks)).Error);
        Assert.True((await Jose.Verify(after, jwks)).Valid);
        await using (var session = DirectoryStore.QuerySession())
        {
            var stored = await session.LoadAsync<SigningKey>(first);
            Assert.NotNull(stored!.RetiredAt);
            Assert.Null(stored.SealedPrivateKey);
        }
        Assert.Equal([(second, "signing"), (first, "retired")], KidsAndStatusesIn(await Run("signing-keys", "list", "--account", account, "--json")));
    }

    [Fact]
    public async Task bad_arguments_exit_non_zero_with_one_line()
    {
        var vendor = await AClient();
        foreach (var args in new[]
                 {
                     new[] { "signing-keys", "rotate" },
                     ["signing-keys", "rotate", "--account", "not-a-uuid"],
                     ["signing-keys", "rotate", "--account", Guid.CreateVersion7().ToString()],
                     ["signing-keys", "list", "--account", Guid.CreateVersion7().ToString()],
                     ["signing-keys", "retire", "no-such-kid"],
                     ["signing-keys", "shred", "--account", vendor.AccountId.ToString()]
                 })
        {
            var result = await Run(args);
            Assert.True(result.ExitCode != 0, string.Join(" ", args));
            Assert.Single(result.Error.Trim().Split('\n'));
        }
        // Nothing was made on the way.
        Assert.Single(KidsIn(await Jwks(vendor.AccountId)));
    }

    [Fact]
    public async Task an_account_older_than_signing_keys_gets_exactly_one_on_first_use_however_many_ask_at_once()
    {
        var account = new Account(Guid.CreateVersion7(), "Made before signing keys", DateTimeOffset.UtcNow);
        await using (var session = DirectoryStore.LightweightSession())
        {
            session.Insert(account);
            await session.SaveChangesAsync();
        }

        var answers = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => Get($"/api/v1/accounts/{account.Id}/jwks.json", null)));
        Assert.All(answers, x => Assert.Equal(200, x.Status));
        var kids = answers.Select(x => Assert.Single(KidsIn(x.Text))).Distinct();
        Assert.Single(kids);
        await using var query = DirectoryStore.QuerySession();
        Assert.Equal(1, await query.Query<SigningKey>().CountAsync(x => x.AccountId == account.Id));
    }
}
