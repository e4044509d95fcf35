using Catalog.Licensing;

namespace Catalog.Tests.Sdk;

/// <summary>
/// When the operator rotates the account's signing key, the SDK fetches the JWK Set again for the new kid, and files
/// signed by the old key keep verifying while it is in the set. Keys pinned at build are never fetched.
/// </summary>
[Collection(ServiceCollection.Name)]
public class KeyRotation(AppFixture fixture) : SdkTest(fixture)
{
    [Fact]
    public async Task a_rotated_key_is_fetched_for_the_next_file_and_a_pinned_set_keeps_the_file_it_verified()
    {
        var licensed = await ALicensedProduct();
        var network = TheNetwork();
        var fetching = AnSdk(licensed, network, "fetching");
        var pinned = AnSdk(licensed, network, "pinned", pinnedJwks: (await Get($"/api/v1/accounts/{licensed.Vendor.AccountId}/jwks.json", null)).Text);
        await fetching.ActivateAsync();
        await pinned.ActivateAsync();
        var before = await fetching.CheckAsync();
        Assert.True(before.IsValid);
        Assert.True((await pinned.CheckAsync()).IsValid);

        var rotated = await CommandLineRunner.Run("signing-keys", "rotate", "--account", licensed.Vendor.AccountId.ToString(), "--json");
        Assert.True(rotated.ExitCode == 0, rotated.Error);
        var newKid = rotated.LastJson.GetProperty("kid").GetString()!;

        var after = await fetching.CheckAsync();
        Assert.True(after.IsValid, after.ToString());
        Assert.False(after.Offline);
        Assert.Equal(newKid, after.File!.Kid);
        Assert.NotEqual(before.File!.Kid, newKid);
        Assert.Equal(2, network.Seen.Count(x => x.Path.EndsWith("/jwks.json", StringComparison.Ordinal)));

        // Pinned: the new file's key is unknown, so the answer is not trusted, and the file verified before still runs it.
        var stillPinned = await pinned.CheckAsync();
        Assert.True(stillPinned.IsValid);
        Assert.True(stillPinned.Offline);
        Assert.Equal(LicensingErrorCode.Untrusted, stillPinned.Error!.Code);
        Assert.Equal(before.File.Kid, stillPinned.File!.Kid);
    }
}
