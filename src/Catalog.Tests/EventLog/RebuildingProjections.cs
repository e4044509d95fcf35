using Catalog.Licenses;
using Catalog.Products;
using Marten;

namespace Catalog.Tests.EventLog;

public class RebuildingProjections(AppFixture fixture) : ApiTest(fixture)
{
    [SingleDatabaseFact]
    public async Task projections_rebuild_reproduces_every_read_model_from_the_events()
    {
        var acme = await AClient();
        var globex = await AClient();
        foreach (var client in new[] { acme, globex })
        {
            for (var i = 0; i < 3; i++)
            {
                var productId = (await CreateProduct(client, new { name = $"P{i}", code = $"p{i}", metadata = new { n = i } })).Id;
                var license = await IssueLicense(client, productId, new { expiresAt = "2099-01-01T00:00:00Z" });
                await IssueLicense(client, productId);
                if (i == 1) await Send("POST", $"/api/v1/licenses/{license.Id}/revoke", client);
                if (i == 2) await Delete($"/api/v1/products/{productId}", client);
                if (i == 0) await Patch($"/api/v1/products/{productId}", client, new { name = "Renamed", keyPrefix = "NEW" });
            }
        }
        // A license under a trial policy with entitlements, a waiting clock started by a machine, and metered use.
        var meteredProduct = (await CreateProduct(acme, new { name = "Metered", code = "metered" })).Id;
        Assert.Equal(201, (await Post("/api/v1/entitlements", acme, new { code = "export-pdf", name = "Export" })).Status);
        var trial = await APolicy(acme, meteredProduct, new { name = "Trial", duration = 86_400, expirationBasis = "firstActivation", trial = true,
            maxUses = 10, entitlements = new[] { "export-pdf" } });
        var metered = await IssueLicense(acme, meteredProduct, new { policyId = trial.Id });
        Assert.Equal(201, (await AsLicense("POST", "/api/v1/client/machines", metered.Key, """{"fingerprint": "trial-host"}""")).Status);
        Assert.Equal(200, (await Post($"/api/v1/licenses/{metered.Id}/usage", acme, new { increment = 3 })).Status);
        var before = await Snapshot();
        Assert.Contains("trial-host", before);

        // Damage the read models, then rebuild them with the operators' command.
        await using (var connection = await OpenDatabase())
        {
            await using var damage = new Npgsql.NpgsqlCommand(
                "update catalog.mt_doc_product set data = jsonb_set(data, '{LicensesCount}', '99'); delete from catalog.mt_doc_license; delete from catalog.mt_doc_trialuse;", connection);
            await damage.ExecuteNonQueryAsync();
        }
        Assert.NotEqual(before, await Snapshot());

        var rebuild = await CommandLineRunner.Run("projections", "rebuild");

        Assert.True(rebuild.ExitCode == 0, rebuild.Output + rebuild.Error);
        Assert.Equal(before, await Snapshot());
    }

    private async Task<string> Snapshot()
    {
        await using var session = Store.QuerySession();
        var products = await session.Query<Product>().Where(x => x.AnyTenant()).OrderBy(x => x.Id).ToListAsync();
        var licenses = await session.Query<License>().Where(x => x.AnyTenant()).OrderBy(x => x.Id).ToListAsync();
        var trials = await session.Query<Catalog.Machines.TrialUse>().Where(x => x.AnyTenant()).OrderBy(x => x.Id).ToListAsync();
        return JsonSerializer.Serialize(new { products, licenses, trials });
    }
}
