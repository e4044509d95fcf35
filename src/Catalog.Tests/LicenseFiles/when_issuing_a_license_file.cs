using Catalog.Machines;
using Catalog.LicenseFiles;
using Catalog.Licenses;
using Catalog.SigningKeys;

namespace Catalog.Tests.LicenseFiles;

/// <summary>What a license file says, and when there is none: a pure decision.</summary>
public class when_issuing_a_license_file
{
    private readonly Catalog.Products.Product _product = Given.ADesktopProduct();
    private readonly SigningSettings _settings = new() { Issuer = "https://licenses.example.com", FileLifetime = TimeSpan.FromDays(7) };

    private static Seat AMachine(License license, string fingerprint) => Given.SeatsTakenBy(license, fingerprint).Active[0];

    [Fact]
    public void a_usable_license_gets_a_file_valid_from_now_for_the_configured_lifetime()
    {
        var license = Given.AnActiveLicenseOf(_product);

        var (claims, refusal) = LicenseFileRules.Decide(license, _product, null, null, null, Given.Now, _settings);

        Assert.Null(refusal);
        Assert.Equal("https://licenses.example.com", claims!.Iss);
        Assert.Equal(license.Id.ToString(), claims.Sub);
        Assert.Equal(Given.Now.ToUnixTimeSeconds(), claims.Iat);
        Assert.Equal(claims.Iat, claims.Nbf);
        Assert.Equal(Given.Now.AddDays(7).ToUnixTimeSeconds(), claims.Exp);
        Assert.Equal("desktop-app-pro", claims.Aud);
        Assert.Equal(("desktop-app-pro", "active"), (claims.License.ProductCode, claims.License.Status));
        // A copied file must not hand out the key.
        Assert.DoesNotContain(license.Key, JsonSerializer.Serialize(claims, Catalog.Conventions.ApiJson.Options));
        Assert.Null(claims.Machine);
    }

    [Fact]
    public void the_file_ends_when_the_license_does_if_that_is_sooner()
    {
        var license = Given.AnActiveLicenseOf(_product, expiresAt: Given.Now.AddDays(2).AddMilliseconds(999));

        var (claims, _) = LicenseFileRules.Decide(license, _product, null, null, null, Given.Now, _settings);

        Assert.Equal(Given.Now.AddDays(2).ToUnixTimeSeconds(), claims!.Exp); // whole seconds, never after
    }

    [Fact]
    public void a_license_ending_within_this_second_gets_no_file_that_could_never_be_valid()
    {
        var license = Given.AnActiveLicenseOf(_product, expiresAt: Given.Now.AddMilliseconds(400));

        var (claims, refusal) = LicenseFileRules.Decide(license, _product, null, null, null, Given.Now, _settings);

        Assert.Null(claims);
        Assert.Equal((403, ValidationCodes.Expired), (refusal!.Status, refusal.Extensions["code"]));
    }

    [Fact]
    public void a_fingerprint_binds_the_file_to_that_active_machine_and_to_nothing_else()
    {
        var license = Given.AnActiveLicenseOf(_product);
        var machine = AMachine(license, "host-8f2a");

        var (bound, _) = LicenseFileRules.Decide(license, _product, null, "host-8f2a", machine, Given.Now, _settings);
        Assert.Equal((machine.MachineId, "host-8f2a"), (bound!.Machine!.Id, bound.Machine.Fingerprint));

        var (none, refusal) = LicenseFileRules.Decide(license, _product, null, "host-0000", null, Given.Now, _settings);
        Assert.Null(none);
        Assert.Equal((403, ValidationCodes.NotActivated), (refusal!.Status, refusal.Extensions["code"]));
    }

    [Theory]
    [InlineData("revoked", ValidationCodes.Revoked)]
    [InlineData("suspended", ValidationCodes.Suspended)]
    [InlineData("expired", ValidationCodes.Expired)]
    [InlineData("product deleted", ValidationCodes.ProductDeleted)]
    public void a_license_that_cannot_be_used_gets_no_file_but_a_403_naming_why(string state, string code)
    {
        var (license, product) = state switch
        {
            "revoked" => (Given.ARevokedLicenseOf(_product), _product),
            "suspended" => (Given.ASuspendedLicenseOf(_product), _product),
            "expired" => (Given.AnActiveLicenseOf(_product, expiresAt: Given.Now), _product),
            _ => (Given.AnActiveLicenseOf(_product), Given.ADeletedProduct())
        };

        var (claims, refusal) = LicenseFileRules.Decide(license, product, null, null, null, Given.Now, _settings);

        Assert.Null(claims);
        Assert.Equal((403, code), (refusal!.Status, refusal.Extensions["code"]));
    }

    [Fact]
    public void another_products_code_gets_no_file()
    {
        var license = Given.AnActiveLicenseOf(_product);

        var (claims, refusal) = LicenseFileRules.Decide(license, _product, null, null, null, Given.Now, _settings, productCode: "other-app");

        Assert.Null(claims);
        Assert.Equal((403, ValidationCodes.ProductMismatch), (refusal!.Status, refusal.Extensions["code"]));
    }
}
