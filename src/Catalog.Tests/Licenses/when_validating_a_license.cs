using Catalog.Licenses;

namespace Catalog.Tests.Licenses;

/// <summary>The verdict, judged in the contract's order: not found, revoked, product deleted, suspended, expired, not activated, valid.</summary>
public class when_validating_a_license
{
    private readonly Catalog.Products.Product _product = Given.ADesktopProduct();

    [Fact]
    public void an_active_license_of_a_live_product_is_valid()
    {
        var verdict = LicenseVerdict.Judge(Given.AnActiveLicenseOf(_product), _product, null, Given.Now);

        Assert.True(verdict.Valid);
        Assert.Equal(ValidationCodes.Valid, verdict.Code);
    }

    [Fact]
    public void no_license_is_not_found_and_shows_nothing()
    {
        var verdict = LicenseVerdict.Judge(null, null, null, Given.Now);

        Assert.Equal((false, ValidationCodes.NotFound, (LicenseDetails?)null), (verdict.Valid, verdict.Code, verdict.License));
    }

    [Fact]
    public void revoked_comes_before_a_deleted_product_and_an_expiry()
    {
        var license = Given.ARevokedLicenseOf(_product) with { ExpiresAt = Given.Now.AddDays(-1) };

        Assert.Equal(ValidationCodes.Revoked, LicenseVerdict.Judge(license, Given.ADeletedProduct(), null, Given.Now).Code);
    }

    [Fact]
    public void a_deleted_product_comes_before_an_expiry()
    {
        var license = Given.AnActiveLicenseOf(_product, expiresAt: Given.Now.AddDays(-1));

        Assert.Equal(ValidationCodes.ProductDeleted, LicenseVerdict.Judge(license, Given.ADeletedProduct(), null, Given.Now).Code);
    }

    [Fact]
    public void a_license_expires_at_its_expiry_to_the_millisecond()
    {
        var license = Given.AnActiveLicenseOf(_product, expiresAt: Given.Now);

        Assert.Equal(ValidationCodes.Expired, LicenseVerdict.Judge(license, _product, null, Given.Now).Code);
        Assert.Equal(ValidationCodes.Valid, LicenseVerdict.Judge(license, _product, null, Given.Now.AddMilliseconds(-1)).Code);
    }

    [Fact]
    public void suspended_comes_after_a_deleted_product_and_before_an_expiry()
    {
        var license = Given.ASuspendedLicenseOf(_product) with { ExpiresAt = Given.Now.AddDays(-1) };

        Assert.Equal(ValidationCodes.ProductDeleted, LicenseVerdict.Judge(license, Given.ADeletedProduct(), null, Given.Now).Code);
        Assert.Equal(ValidationCodes.Suspended, LicenseVerdict.Judge(license, _product, null, Given.Now).Code);
    }

    [Fact]
    public void a_fingerprint_that_is_no_active_machine_is_not_activated_but_only_after_every_other_reason()
    {
        var license = Given.AnActiveLicenseOf(_product);

        Assert.Equal(ValidationCodes.NotActivated, LicenseVerdict.Judge(license, _product, null, Given.Now, new("host-2"), fingerprintActive: false).Code);
        Assert.Equal(ValidationCodes.Valid, LicenseVerdict.Judge(license, _product, null, Given.Now, new("host-1"), fingerprintActive: true).Code);
        Assert.Equal(ValidationCodes.Expired,
            LicenseVerdict.Judge(license with { ExpiresAt = Given.Now }, _product, null, Given.Now, new("host-2"), fingerprintActive: false).Code);
    }

    [Fact]
    public void another_products_code_is_a_product_mismatch_judged_right_after_not_found()
    {
        var license = Given.ARevokedLicenseOf(_product) with { ExpiresAt = Given.Now.AddDays(-1) };

        Assert.Equal(ValidationCodes.NotFound, LicenseVerdict.Judge(null, null, null, Given.Now, new(ProductCode: "other-app")).Code);
        var mismatch = LicenseVerdict.Judge(license, _product, null, Given.Now, new("host-2", "other-app"));
        Assert.Equal((false, ValidationCodes.ProductMismatch), (mismatch.Valid, mismatch.Code));
        Assert.Equal(ValidationCodes.ProductMismatch, LicenseVerdict.Judge(license, null, null, Given.Now, new(ProductCode: "desktop-app-pro")).Code);
        // Its own code, in any case, passes on to the next reason.
        Assert.Equal(ValidationCodes.Revoked, LicenseVerdict.Judge(license, _product, null, Given.Now, new(ProductCode: "DESKTOP-App-Pro")).Code);
        Assert.Equal(ValidationCodes.Valid,
            LicenseVerdict.Judge(Given.AnActiveLicenseOf(_product), _product, null, Given.Now, new(ProductCode: "desktop-app-pro")).Code);
    }
}
