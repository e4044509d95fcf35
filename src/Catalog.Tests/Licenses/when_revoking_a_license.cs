using Catalog.Licenses;
using Catalog.Products;

namespace Catalog.Tests.Licenses;

public class when_revoking_a_license
{
    [Fact]
    public void an_active_license_is_revoked_now()
    {
        var product = Given.ADesktopProduct();
        var license = Given.AnActiveLicenseOf(product);

        var revoked = RevokeLicenseEndpoint.Decide(license, Given.Now);

        Assert.Equal(new LicenseRevoked(license.Id, product.Id, Given.Now), revoked);
        Assert.Equal(LicenseStatus.Revoked, license.Apply(revoked!).StatusAt(Given.Now));
    }

    [Fact]
    public void a_revoked_license_is_not_revoked_again()
    {
        var license = Given.ARevokedLicenseOf(Given.ADesktopProduct());

        Assert.Null(RevokeLicenseEndpoint.Decide(license, Given.Now));
    }
}
