using Catalog.Licenses;
using Catalog.Policies;
using Catalog.Usage;

namespace Catalog.Tests.Usage;

/// <summary>Metered use as decisions: counted up to the limit in force, never past it, and reset to 0.</summary>
public class when_counting_usage
{
    private readonly Catalog.Products.Product _product = Given.ADesktopProduct();

    [Fact]
    public void an_increment_is_counted_with_the_new_total_up_to_the_limit_and_not_one_past_it()
    {
        var policy = Given.APolicyOf(_product, PolicyTerms.Default with { MaxUses = 10 });
        var license = Given.ALicenseUnder(policy, _product) with { Uses = 7 };

        var (counted, refusal) = UsageRules.Increment(3, license, policy, Given.Now);
        Assert.Null(refusal);
        Assert.Equal((3, 10, 10), (counted!.Increment, counted.Uses, counted.MaxUses));

        var (none, tooMany) = UsageRules.Increment(4, license, policy, Given.Now);
        Assert.Null(none);
        Assert.Equal((409, UsageRules.UsageLimitReached), (tooMany!.Status, tooMany.Extensions["code"]));
    }

    [Fact]
    public void the_licenses_own_limit_overrides_its_policys_and_no_limit_stops_only_at_the_largest_count()
    {
        var policy = Given.APolicyOf(_product, PolicyTerms.Default with { MaxUses = 10 });
        var own = Given.ALicenseUnder(policy, _product, new IssueLicense(null, null, MaxUses: 100)) with { Uses = 50 };
        var unlimited = Given.AnActiveLicenseOf(_product) with { Uses = int.MaxValue - 1 };

        Assert.NotNull(UsageRules.Increment(40, own, policy, Given.Now).Counted);
        Assert.NotNull(UsageRules.Increment(1, unlimited, null, Given.Now).Counted);
        Assert.Equal(409, UsageRules.Increment(2, unlimited, null, Given.Now).Refusal!.Status);
    }

    [Fact]
    public void a_revoked_license_counts_nothing_and_a_reset_of_nothing_records_nothing()
    {
        Assert.Equal(409, UsageRules.Increment(1, Given.ARevokedLicenseOf(_product), null, Given.Now).Refusal!.Status);
        Assert.Equal((null, null), UsageRules.Reset(Given.AnActiveLicenseOf(_product), Given.Now));
        var reset = UsageRules.Reset(Given.AnActiveLicenseOf(_product) with { Uses = 12 }, Given.Now).Reset!;
        Assert.Equal(12, reset.PreviousUses);
    }
}
