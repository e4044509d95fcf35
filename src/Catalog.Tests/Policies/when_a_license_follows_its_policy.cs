using Catalog.Licenses;
using Catalog.Machines;
using Catalog.Policies;
using Catalog.Products;

namespace Catalog.Tests.Policies;

/// <summary>
/// A license under a policy, as pure decisions: its values in force are its own over its policy's, read with the policy
/// at each decision; its clock starts at its policy's basis, once; a trial is one per fingerprint and product.
/// </summary>
public class when_a_license_follows_its_policy
{
    private readonly Product _product = Given.ADesktopProduct();

    private static PolicyTerms Terms(long? duration = null, string basis = ExpirationBasis.Creation, int? maxMachines = null, int? maxUses = null,
        bool trial = false, params string[] entitlements) =>
        PolicyTerms.Default with
        {
            Duration = duration, ExpirationBasis = basis, MaxMachines = maxMachines, MaxUses = maxUses, Trial = trial, Entitlements = entitlements
        };

    private static Catalog.Machines.ActivateMachine On(string fingerprint) => new(fingerprint, null, null);

    [Fact]
    public void the_license_shows_its_policys_values_unless_it_has_its_own()
    {
        var policy = Given.APolicyOf(_product, Terms(maxMachines: 3, maxUses: 100, entitlements: ["export-pdf"]));

        var plain = LicenseDetails.From(Given.ALicenseUnder(policy, _product), policy, Given.Now);
        var own = LicenseDetails.From(Given.ALicenseUnder(policy, _product, new IssueLicense(null, null, MaxMachines: 10, MaxUses: 5), "Cloud-Sync"),
            policy, Given.Now);

        Assert.Equal((policy.Id, 3, 100, 0), (plain.PolicyId, plain.MaxMachines, plain.MaxUses, plain.Uses));
        Assert.Equal(["export-pdf"], plain.Entitlements);
        Assert.Equal((10, 5), (own.MaxMachines, own.MaxUses));
        // Sorted as the API always sorts codes (ordinal: capitals first), the policy's and the license's together.
        Assert.Equal(["Cloud-Sync", "export-pdf"], own.Entitlements);
    }

    [Fact]
    public void a_policy_change_holds_at_the_next_decision_because_the_policy_is_read_not_copied()
    {
        var policy = Given.APolicyOf(_product, Terms(maxMachines: 3, entitlements: ["export-pdf"]));
        var license = Given.ALicenseUnder(policy, _product);
        var changed = policy.Apply(new PolicyUpdated(policy.Id, _product.Id, policy.Name, Terms(maxMachines: 1, entitlements: ["cloud-sync"]), [], Given.Now));

        Assert.Equal(1, LicenseDetails.From(license, changed, Given.Now).MaxMachines);
        Assert.Equal(ValidationCodes.EntitlementsMissing,
            LicenseVerdict.Judge(license, _product, changed, Given.Now, new(Entitlements: ["export-pdf"])).Code);
        // A lower seat limit takes no machine away, but the license takes no more until it is under it.
        var twoActive = Given.SeatsTakenBy(license, "host-1", "host-2");
        Assert.Equal(MachineRules.MachineLimitReached,
            MachineRules.Activate(On("host-3"), license, _product, twoActive, Given.Now, changed).Refusal!.Extensions["code"]);
        Assert.NotNull(MachineRules.Activate(On("host-3"), license, _product, twoActive, Given.Now, policy).Activated);
    }

    [Fact]
    public void entitlements_missing_is_judged_last_and_codes_compare_ignoring_case()
    {
        var policy = Given.APolicyOf(_product, Terms(entitlements: ["export-pdf"]));
        var license = Given.ALicenseUnder(policy, _product, null, "Cloud-Sync");

        Assert.Equal(ValidationCodes.Valid, LicenseVerdict.Judge(license, _product, policy, Given.Now, new(Entitlements: ["EXPORT-PDF", "cloud-sync"])).Code);
        Assert.Equal(ValidationCodes.EntitlementsMissing, LicenseVerdict.Judge(license, _product, policy, Given.Now, new(Entitlements: ["export-pdf", "sso"])).Code);
        Assert.Equal(ValidationCodes.NotActivated,
            LicenseVerdict.Judge(license, _product, policy, Given.Now, new("host-9", Entitlements: ["sso"]), fingerprintActive: false).Code);
        Assert.Equal(ValidationCodes.Expired,
            LicenseVerdict.Judge(license with { ExpiresAt = Given.Now }, _product, policy, Given.Now, new(Entitlements: ["sso"])).Code);
    }

    [Fact]
    public void under_creation_the_clock_starts_at_issuance_and_an_expiry_given_overrides_the_duration()
    {
        var policy = Given.APolicyOf(_product, Terms(duration: 86_400 * 365));

        var license = Given.ALicenseUnder(policy, _product);
        var own = Given.ALicenseUnder(policy, _product, new IssueLicense(Given.Now.AddDays(7), null));

        Assert.Equal((Given.Now.AddDays(-10).AddDays(365), false), (license.ExpiresAt, license.ClockPending));
        Assert.Equal(Given.Now.AddDays(7), own.ExpiresAt);
        Assert.Null(Given.ALicenseUnder(Given.APolicyOf(_product), _product).ExpiresAt); // perpetual
    }

    [Theory]
    [InlineData(ExpirationBasis.FirstActivation)]
    [InlineData(ExpirationBasis.FirstValidation)]
    public void a_clock_that_waits_starts_once_at_its_first_event_and_only_at_that_one(string basis)
    {
        var policy = Given.APolicyOf(_product, Terms(duration: 3600, basis: basis));
        var license = Given.ALicenseUnder(policy, _product);
        var other = basis == ExpirationBasis.FirstActivation ? ExpirationBasis.FirstValidation : ExpirationBasis.FirstActivation;

        Assert.Equal((null, true), (license.ExpiresAt, license.ClockPending));
        Assert.Null(LicenseClock.StartAt(other, license, policy, Given.Now));
        var started = LicenseClock.StartAt(basis, license, policy, Given.Now)!;
        Assert.Equal((Given.Now.AddHours(1), false), (started.ExpiresAt, started.ClockPending));
        Assert.Null(LicenseClock.StartAt(basis, license.Apply(started), policy, Given.Now.AddMinutes(1)));
        // A license given its own expiry (a renewal) no longer waits.
        Assert.False(Given.ALicenseUnder(policy, _product, new IssueLicense(Given.Now.AddDays(1), null)).ClockPending);
    }

    [Fact]
    public void the_first_activation_starts_the_clock_in_the_same_events_as_the_machine()
    {
        var policy = Given.APolicyOf(_product, Terms(duration: 3600, basis: ExpirationBasis.FirstActivation));
        var license = Given.ALicenseUnder(policy, _product);

        var decision = MachineRules.Activate(On("host-1"), license, _product, new LicenseSeats { Id = license.Id }, Given.Now, policy);

        Assert.Collection(decision.Events, x => Assert.IsType<MachineActivated>(x),
            x => Assert.Equal(Given.Now.AddHours(1), Assert.IsType<LicenseUpdated>(x).ExpiresAt));
    }

    [Fact]
    public void a_trial_is_one_per_fingerprint_and_product_whatever_the_license()
    {
        var policy = Given.APolicyOf(_product, Terms(trial: true));
        var first = Given.ALicenseUnder(policy, _product);
        var second = Given.ALicenseUnder(policy, _product);
        var seats = new LicenseSeats { Id = second.Id };

        var starts = MachineRules.Activate(On("laptop"), first, _product, new LicenseSeats { Id = first.Id }, Given.Now, policy);
        Assert.True(starts.Activated!.StartsTrial);
        var had = new TrialUse(starts.Activated.MachineId, _product.Id, "laptop", first.Id, Given.Now);

        Assert.Equal(Trials.TrialAlreadyUsed, MachineRules.Activate(On("laptop"), second, _product, seats, Given.Now, policy, had).Refusal!.Extensions["code"]);
        // Back on its own trial license it is welcome, and starts no second trial.
        var back = MachineRules.Activate(On("laptop"), first, _product, new LicenseSeats { Id = first.Id }, Given.Now, policy, had);
        Assert.False(back.Activated!.StartsTrial);
        // Not a trial policy: no trial is asked about or started.
        Assert.False(MachineRules.Activate(On("laptop"), second, _product, seats, Given.Now, Given.APolicyOf(_product), had).Activated!.StartsTrial);
    }
}
