using Catalog.Licenses;

namespace Catalog.Tests.Machines;

/// <summary>A trial policy gives an installation one trial per product: a new trial license, or a reinstall, gives it no second.</summary>
public class TrialsOncePerMachine(AppFixture fixture) : ApiTest(fixture)
{
    private async Task<(Client Vendor, LicenseDetails First, LicenseDetails Second, Guid ProductId)> TwoTrialLicenses()
    {
        var (vendor, product) = await AProductWithEntitlements();
        var trial = await APolicy(vendor, product.Id, new { name = "14-day trial", duration = 14 * 86_400, expirationBasis = "firstActivation", trial = true });
        return (vendor, await IssueLicense(vendor, product.Id, new { policyId = trial.Id }), await IssueLicense(vendor, product.Id, new { policyId = trial.Id }),
            product.Id);
    }

    private Task<ApiResponse> Activate(LicenseDetails license, string fingerprint) =>
        AsLicense("POST", "/api/v1/client/machines", license.Key, JsonSerializer.Serialize(new { fingerprint }));

    [Fact]
    public async Task a_machine_that_had_a_trial_is_refused_another_trial_license_of_the_product_but_not_its_own()
    {
        var (vendor, first, second, productId) = await TwoTrialLicenses();

        Assert.Equal(201, (await Activate(first, "laptop")).Status);
        var again = await Activate(second, "laptop");
        Assert.Equal((409, "TRIAL_ALREADY_USED"), (again.Status, again.Code));

        // Deactivated (a reinstall) and back on its own trial license: welcome; on the other: still refused.
        Assert.Equal(204, (await AsLicense("DELETE", "/api/v1/client/machines/laptop", first.Key)).Status);
        var afterReinstall = await Activate(second, "laptop");
        Assert.Equal((409, "TRIAL_ALREADY_USED"), (afterReinstall.Status, afterReinstall.Code));
        Assert.Equal(201, (await Activate(first, "laptop")).Status);
        // Another machine has its own trial; a license under no trial policy asks nothing; the vendor's activation obeys the rule too.
        Assert.Equal(201, (await Activate(second, "desktop")).Status);
        var paid = await IssueLicense(vendor, productId);
        Assert.Equal(201, (await Activate(paid, "laptop")).Status);
        var byVendor = await Post($"/api/v1/licenses/{second.Id}/machines", vendor, new { fingerprint = "laptop" });
        Assert.Equal((409, "TRIAL_ALREADY_USED"), (byVendor.Status, byVendor.Code));
    }

    [Fact]
    public async Task of_concurrent_first_activations_of_one_machine_on_two_trial_licenses_exactly_one_gets_the_trial()
    {
        for (var round = 0; round < 3; round++)
        {
            var (_, first, second, _) = await TwoTrialLicenses();

            var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Activate(i % 2 == 0 ? first : second, "vm-image")));

            var winners = answers.Where(x => x.Status is 200 or 201).Select(x => x.As<Catalog.Machines.MachineDetails>().LicenseId).Distinct().ToList();
            Assert.Single(winners);
            Assert.All(answers.Where(x => x.Status is not (200 or 201)), x => Assert.Equal((409, "TRIAL_ALREADY_USED"), (x.Status, x.Code)));
            Assert.Equal(4, answers.Count(x => x.Status is 200 or 201));
        }
    }
}
