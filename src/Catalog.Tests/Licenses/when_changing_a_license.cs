using Catalog.Conventions;
using Catalog.Entitlements;
using Catalog.Licenses;

namespace Catalog.Tests.Licenses;

/// <summary>PATCH, suspend and reinstate as decisions: full new values, refusals, and nothing when nothing changes.</summary>
public class when_changing_a_license
{
    private readonly Catalog.Products.Product _product = Given.ADesktopProduct();

    private static UpdateLicense Setting(int? maxMachines) => new(default, new Optional<int?>(true, maxMachines), default, default, default);

    [Fact]
    public void new_seats_carry_the_full_new_values()
    {
        var license = Given.ALicenseWithSeats(_product, 3);

        var (updated, refusal) = UpdateLicenseEndpoint.Decide(Setting(5), NamedEntitlements.None, license, null, 2, Given.Now);

        Assert.Null(refusal);
        Assert.Equal((5, license.ExpiresAt, Given.Now), (updated!.MaxMachines, updated.ExpiresAt, updated.UpdatedAt));
    }

    [Fact]
    public void seats_below_the_active_machines_are_a_409_and_equal_is_fine()
    {
        var license = Given.ALicenseWithSeats(_product, 3);

        Assert.Equal(409, UpdateLicenseEndpoint.Decide(Setting(1), NamedEntitlements.None, license, null, 2, Given.Now).Refusal!.Status);
        Assert.NotNull(UpdateLicenseEndpoint.Decide(Setting(2), NamedEntitlements.None, license, null, 2, Given.Now).Updated);
    }

    [Fact]
    public void the_same_values_change_nothing_and_a_revoked_license_nothing_at_all()
    {
        Assert.Equal((null, null), UpdateLicenseEndpoint.Decide(Setting(3), NamedEntitlements.None, Given.ALicenseWithSeats(_product, 3), null, 0, Given.Now));
        Assert.Equal(409, UpdateLicenseEndpoint.Decide(Setting(3), NamedEntitlements.None, Given.ARevokedLicenseOf(_product), null, 0, Given.Now).Refusal!.Status);
    }

    [Fact]
    public void suspension_and_reinstatement_happen_once()
    {
        Assert.NotNull(SuspendLicenseEndpoint.Decide(Given.AnActiveLicenseOf(_product), Given.Now).Suspended);
        Assert.Equal((null, null), SuspendLicenseEndpoint.Decide(Given.ASuspendedLicenseOf(_product), Given.Now));
        Assert.Equal(409, SuspendLicenseEndpoint.Decide(Given.ARevokedLicenseOf(_product), Given.Now).Refusal!.Status);
        Assert.NotNull(ReinstateLicenseEndpoint.Decide(Given.ASuspendedLicenseOf(_product), Given.Now).Reinstated);
        Assert.Equal((null, null), ReinstateLicenseEndpoint.Decide(Given.AnActiveLicenseOf(_product), Given.Now));
        var revokedWhileSuspended = Given.ASuspendedLicenseOf(_product) with { RevokedAt = Given.Now };
        Assert.Equal(409, ReinstateLicenseEndpoint.Decide(revokedWhileSuspended, Given.Now).Refusal!.Status);
    }
}
