using Catalog.Leases;
using Catalog.Licenses;
using Catalog.Machines;
using Catalog.Policies;

namespace Catalog.Tests.Leases;

/// <summary>The lease decisions, on what the license's one read found: pure functions of it and the time.</summary>
public class when_granting_a_lease
{
    private readonly Catalog.Products.Product _product = Given.ADesktopProduct();

    private Policy AFloatingPolicy(int? maxConcurrent = 2, int maxBorrowSeconds = 0, int? maxMachines = null) =>
        Given.APolicyOf(_product, PolicyTerms.Default with
        {
            MaxConcurrent = maxConcurrent, LeaseSeconds = 300, MaxBorrowSeconds = maxBorrowSeconds, MaxMachines = maxMachines
        });

    private static Machine AMachine(Catalog.Licenses.License license) =>
        new(Guid.NewGuid(), license.Id, "fp", null, [], Given.Now.AddDays(-1));

    [Fact]
    public void a_free_slot_is_a_lease_of_the_policys_lease_seconds()
    {
        var policy = AFloatingPolicy();
        var license = Given.ALicenseUnder(policy, _product);
        var (granted, refusal) = LeaseRules.Grant(new RequestLease(), license, _product, policy, null, false, liveLeases: 1, Given.Now);
        Assert.Null(refusal);
        Assert.Equal((Given.Now.AddSeconds(300), false, (Guid?)null), (granted!.ExpiresAt, granted.Borrowed, granted.MachineId));
    }

    [Fact]
    public void max_concurrent_live_leases_refuse_the_next_with_concurrency_limit_reached()
    {
        var policy = AFloatingPolicy();
        var license = Given.ALicenseUnder(policy, _product);
        var (_, refusal) = LeaseRules.Grant(new RequestLease(), license, _product, policy, null, false, liveLeases: 2, Given.Now);
        Assert.Equal((409, "CONCURRENCY_LIMIT_REACHED"), (refusal!.Status, refusal.Extensions["code"]));
    }

    [Fact]
    public void under_a_seat_limit_the_lease_needs_a_live_active_machine()
    {
        var policy = AFloatingPolicy(maxMachines: 2);
        var license = Given.ALicenseUnder(policy, _product);
        Assert.Equal(400, LeaseRules.Grant(new RequestLease(), license, _product, policy, null, false, 0, Given.Now).Refusal!.Status);
        Assert.Equal("NOT_ACTIVATED",
            LeaseRules.Grant(new RequestLease("fp"), license, _product, policy, null, false, 0, Given.Now).Refusal!.Extensions["code"]);
        Assert.Equal("NOT_ACTIVATED",
            LeaseRules.Grant(new RequestLease("fp"), license, _product, policy, AMachine(license), true, 0, Given.Now).Refusal!.Extensions["code"]);
        var machine = AMachine(license);
        Assert.Equal(machine.Id, LeaseRules.Grant(new RequestLease("fp"), license, _product, policy, machine, false, 0, Given.Now).Granted!.MachineId);
    }

    [Fact]
    public void a_borrow_lasts_borrow_seconds_up_to_the_policys_max_and_needs_a_machine()
    {
        var policy = AFloatingPolicy(maxBorrowSeconds: 86400);
        var license = Given.ALicenseUnder(policy, _product);
        var machine = AMachine(license);
        var (granted, _) = LeaseRules.Grant(new RequestLease("fp", 86400), license, _product, policy, machine, false, 0, Given.Now);
        Assert.Equal((Given.Now.AddDays(1), true), (granted!.ExpiresAt, granted.Borrowed));
        Assert.Contains("borrowSeconds", ((Microsoft.AspNetCore.Http.HttpValidationProblemDetails)LeaseRules.Grant(new RequestLease("fp", 86401), license, _product, policy,
            machine, false, 0, Given.Now).Refusal!).Errors.Keys);
        Assert.Contains("fingerprint", ((Microsoft.AspNetCore.Http.HttpValidationProblemDetails)LeaseRules.Grant(new RequestLease(null, 60), license, _product, policy,
            null, false, 0, Given.Now).Refusal!).Errors.Keys);
    }

    [Fact]
    public void a_license_of_another_product_or_unusable_takes_no_lease()
    {
        var policy = AFloatingPolicy();
        var suspended = Given.ALicenseUnder(policy, _product).Apply(new LicenseSuspended(Guid.Empty, _product.Id, Given.Now.AddDays(-1)));
        Assert.Equal("SUSPENDED", LeaseRules.Grant(new RequestLease(), suspended, _product, policy, null, false, 0, Given.Now).Refusal!.Extensions["code"]);
        var license = Given.ALicenseUnder(policy, _product);
        Assert.Equal("PRODUCT_MISMATCH",
            LeaseRules.Grant(new RequestLease(Product: "another"), license, _product, policy, null, false, 0, Given.Now).Refusal!.Extensions["code"]);
    }

    [Fact]
    public void a_renewal_extends_a_live_lease_and_an_ended_one_is_a_404()
    {
        var policy = AFloatingPolicy();
        var license = Given.ALicenseUnder(policy, _product);
        var lease = new Lease(Guid.NewGuid(), license.Id, null, Given.Now, Given.Now.AddSeconds(300), false);
        Assert.Equal(Given.Now.AddSeconds(400), LeaseRules.Renew(lease, license, _product, policy, Given.Now.AddSeconds(100)).Renewed!.ExpiresAt);
        Assert.Equal(404, LeaseRules.Renew(lease, license, _product, policy, Given.Now.AddSeconds(300)).Refusal!.Status);
        Assert.Null(LeaseRules.Release(lease, license, "client", Given.Now.AddSeconds(300)));
        Assert.Single(LeaseRules.Expiries([lease], license, Given.Now.AddSeconds(300)));
        Assert.Empty(LeaseRules.Expiries([lease], license, Given.Now.AddSeconds(299)));
    }
}
