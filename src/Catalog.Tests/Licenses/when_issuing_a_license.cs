using Catalog.Licenses;
using Catalog.Products;

namespace Catalog.Tests.Licenses;

/// <summary>IssueLicenseEndpoint.Validate and Post are pure: a product and a command in, a refusal or events out.</summary>
public class when_issuing_a_license
{
    private readonly Product _product = Given.ADesktopProduct();

    [Fact]
    public void the_license_issued_event_carries_a_key_with_the_products_prefix_and_the_time_to_the_millisecond()
    {
        var expiresAt = Given.Now.AddYears(1).AddTicks(1234);

        var (created, events) = IssueLicenseEndpoint.Post(new IssueLicense(expiresAt, null), _product, Given.NoPolicy, new Given.DrawnKeys("A2B3-C4D5-E6F7-G8H9"), Given.Clock);

        var issued = Assert.IsType<LicenseIssued>(Assert.Single(events));
        Assert.Equal("DSK-A2B3-C4D5-E6F7-G8H9", issued.Key);
        Assert.Equal(_product.Id, issued.ProductId);
        Assert.Equal(Given.Now, issued.IssuedAt);
        Assert.Equal(expiresAt.AddTicks(-1234), issued.ExpiresAt);
        Assert.Equal(issued.LicenseId, created.Data.Id);
        Assert.Equal(LicenseStatus.Active, created.Data.Status);
    }

    [Fact]
    public void no_body_issues_a_license_that_never_expires()
    {
        var (_, events) = IssueLicenseEndpoint.Post(null, _product, Given.NoPolicy, new Given.DrawnKeys("A2B3-C4D5-E6F7-G8H9"), Given.Clock);

        Assert.Null(Assert.IsType<LicenseIssued>(Assert.Single(events)).ExpiresAt);
    }

    [Fact]
    public void a_deleted_product_is_refused_with_a_409()
    {
        var problem = IssueLicenseEndpoint.Validate(null, Given.ADeletedProduct(), Given.NoPolicy, Given.Clock);

        Assert.Equal(409, problem.Status);
    }

    [Fact]
    public void an_expiry_in_the_past_is_refused_naming_the_field()
    {
        var problem = IssueLicenseEndpoint.Validate(new IssueLicense(Given.Now.AddSeconds(-1), null), _product, Given.NoPolicy, Given.Clock);

        Assert.Equal(400, problem.Status);
        Assert.Contains("expiresAt", ((Microsoft.AspNetCore.Http.HttpValidationProblemDetails)problem).Errors.Keys);
    }
}
