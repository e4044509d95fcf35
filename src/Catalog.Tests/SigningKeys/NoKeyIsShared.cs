using Catalog.Secrets;
using Catalog.Hosting;
using Catalog.Licenses;
using Catalog.SigningKeys;
using Catalog.Tests.LicenseFiles;
using Marten.Schema;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Catalog.Tests.SigningKeys;

/// <summary>
/// Every file is signed with a key of the license's own account. Licenses stored before the license document kept its
/// account (no <c>AccountId</c>, or the empty id) once got files signed with a key made for account 00000000-…: one key
/// for every account's old licenses, published without a credential. They are given their account at start, files
/// are signed for the request's account, and the key ring makes, uses and publishes no key for the empty id.
/// </summary>
public class NoKeyIsShared(AppFixture fixture) : ApiTest(fixture)
{
    private const string NoAccount = "00000000-0000-0000-0000-000000000000";

    /// <summary>Makes the stored license look as it was before accounts were kept: no field, or the empty id.</summary>
    private static async Task StoreAsOfOld(Guid licenseId, bool emptyId)
    {
        var changed = 0;
        foreach (var database in StorageMode.AccountDatabases)
        {
            await using var connection = await OpenDatabase(database);
            await using var command = new NpgsqlCommand(
                emptyId
                    ? $"update catalog.mt_doc_license set data = jsonb_set(data, '{{AccountId}}', '\"{NoAccount}\"') where id = @id"
                    : "update catalog.mt_doc_license set data = data - 'AccountId' where id = @id", connection);
            command.Parameters.AddWithValue("id", licenseId);
            changed += await command.ExecuteNonQueryAsync();
        }
        Assert.Equal(1, changed);
    }

    private static async Task<string?> StoredAccountOf(Guid licenseId)
    {
        foreach (var database in StorageMode.AccountDatabases)
        {
            await using var connection = await OpenDatabase(database);
            await using var command = new NpgsqlCommand("select data ->> 'AccountId' from catalog.mt_doc_license where id = @id", connection);
            command.Parameters.AddWithValue("id", licenseId);
            if (await command.ExecuteScalarAsync() is { } found) return found as string;
        }
        throw new InvalidOperationException($"license {licenseId} is in no database");
    }

    private async Task<string> JwksOf(Guid accountId)
    {
        var response = await Get($"/api/v1/accounts/{accountId}/jwks.json", null);
        Assert.True(response.Status == 200, response.ToString());
        return response.Text;
    }

    [Fact]
    public async Task licenses_stored_without_their_account_are_given_it_and_signed_with_its_key()
    {
        var (vendor, withoutField) = await ALicense(new { });
        var (other, emptyId) = await ALicense(new { });
        await StoreAsOfOld(withoutField.Id, emptyId: false);
        await StoreAsOfOld(emptyId.Id, emptyId: true);
        Assert.Null(await StoredAccountOf(withoutField.Id));

        // What each node does at start (it is one of the store's initial data).
        var stamp = Host.Services.GetServices<IInitialData>().OfType<StampLicenseAccounts>().Single();
        await stamp.Populate(Store, CancellationToken.None);
        await stamp.Populate(Store, CancellationToken.None); // again, as a second node would: nothing changes

        Assert.Equal(vendor.AccountId.ToString(), await StoredAccountOf(withoutField.Id));
        Assert.Equal(other.AccountId.ToString(), await StoredAccountOf(emptyId.Id));
        foreach (var (account, license) in new[] { (vendor, withoutField), (other, emptyId) })
        {
            var file = await AsLicense("POST", "/api/v1/client/license-file", license.Key, "{}");
            Assert.True(file.Status == 200, file.ToString());
            var verdict = await Jose.Verify(file.As<Catalog.LicenseFiles.LicenseFileDetails>().File, await JwksOf(account.AccountId));
            Assert.True(verdict.Valid, verdict.Error);
            Assert.Equal(license.Id.ToString(), verdict.Claims.GetProperty("sub").GetString());
        }
        // Each account's file verifies with its own set only.
        var vendorsFile = (await AsLicense("POST", "/api/v1/client/license-file", withoutField.Key, "{}")).As<Catalog.LicenseFiles.LicenseFileDetails>().File;
        Assert.False((await Jose.Verify(vendorsFile, await JwksOf(other.AccountId))).Valid);
        Assert.Equal(404, (await Get($"/api/v1/accounts/{NoAccount}/jwks.json", null)).Status);
    }

    [Fact]
    public async Task the_key_ring_makes_uses_and_publishes_no_key_for_the_empty_account()
    {
        var ring = Host.Services.GetRequiredService<SigningKeyRing>();
        await Assert.ThrowsAsync<ArgumentException>(() => ring.Current(Guid.Empty));
        await Assert.ThrowsAsync<ArgumentException>(() => ring.Rotate(Guid.Empty));
        await Assert.ThrowsAsync<ArgumentException>(() => ring.Sign(Guid.Empty, "license+jwt", new { }, Catalog.Conventions.ApiJson.Options));

        // A key an older version made for the empty id, still in the directory: nobody's, so never published.
        await using (var session = DirectoryStore.LightweightSession())
        {
            session.Insert(SigningKey.Create(Guid.Empty, 1, Host.Services.GetRequiredService<SecretBox>(), DateTimeOffset.UtcNow));
            await session.SaveChangesAsync();
        }
        var published = await Get($"/api/v1/accounts/{NoAccount}/jwks.json", null);
        Assert.Equal(404, published.Status);
        Assert.DoesNotContain("\"kty\"", published.Text);
        Assert.Empty(await ring.Published(Guid.Empty));
    }
}
