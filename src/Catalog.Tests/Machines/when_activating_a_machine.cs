using Catalog.Licenses;
using Catalog.Machines;

namespace Catalog.Tests.Machines;

/// <summary>The seat decision, made under the license stream's lock on the license and its active machines.</summary>
public class when_activating_a_machine
{
    private readonly Catalog.Products.Product _product = Given.ADesktopProduct();

    private static ActivateMachine On(string fingerprint) => new(fingerprint, null, null);

    [Fact]
    public void a_free_seat_takes_a_new_machine()
    {
        var license = Given.ALicenseWithSeats(_product, 2);

        var decision = MachineRules.Activate(On("host-1"), license, _product, Given.SeatsTakenBy(license, "host-0"), Given.Now);

        Assert.NotNull(decision.Activated);
        Assert.Equal(("host-1", license.Id, Given.Now), (decision.Activated.Fingerprint, decision.Activated.LicenseId, decision.Activated.ActivatedAt));
    }

    [Fact]
    public void an_active_fingerprint_is_the_same_machine_again_even_when_every_seat_is_taken()
    {
        var license = Given.ALicenseWithSeats(_product, 1);
        var seats = Given.SeatsTakenBy(license, "host-1");

        var decision = MachineRules.Activate(On("host-1"), license, _product, seats, Given.Now);

        Assert.Null(decision.Activated);
        Assert.Equal(seats.Active[0].MachineId, decision.AlreadyActive!.MachineId);
    }

    [Fact]
    public void a_full_license_is_a_409_machine_limit_reached()
    {
        var license = Given.ALicenseWithSeats(_product, 2);

        var decision = MachineRules.Activate(On("host-3"), license, _product, Given.SeatsTakenBy(license, "host-1", "host-2"), Given.Now);

        Assert.Equal((409, "MACHINE_LIMIT_REACHED"), (decision.Refusal!.Status, decision.Refusal.Extensions["code"]));
    }

    [Fact]
    public void no_limit_of_its_own_still_stops_at_the_service_cap()
    {
        var license = Given.AnActiveLicenseOf(_product);
        var almost = Given.SeatsTakenBy(license, Enumerable.Range(0, LicenseRules.MaxMachines - 1).Select(x => $"host-{x}").ToArray());

        Assert.NotNull(MachineRules.Activate(On("the-last"), license, _product, almost, Given.Now).Activated);
        almost.Apply(new MachineActivated(Guid.CreateVersion7(), license.Id, license.ProductId, "the-last", null, [], Given.Now));
        Assert.Equal(409, MachineRules.Activate(On("one-too-many"), license, _product, almost, Given.Now).Refusal!.Status);
    }

    [Fact]
    public void a_license_that_cannot_be_used_is_a_403_naming_why_before_anything_else()
    {
        var seats = new LicenseSeats();
        Assert.Equal("SUSPENDED", MachineRules.Activate(On("h"), Given.ASuspendedLicenseOf(_product), _product, seats, Given.Now).Refusal!.Extensions["code"]);
        Assert.Equal("REVOKED", MachineRules.Activate(On("h"), Given.ARevokedLicenseOf(_product), _product, seats, Given.Now).Refusal!.Extensions["code"]);
        Assert.Equal("PRODUCT_DELETED", MachineRules.Activate(On("h"), Given.AnActiveLicenseOf(_product), Given.ADeletedProduct(), seats, Given.Now).Refusal!.Extensions["code"]);
        var expired = MachineRules.Activate(On("h"), Given.AnActiveLicenseOf(_product, expiresAt: Given.Now), _product, seats, Given.Now);
        Assert.Equal((403, "EXPIRED"), (expired.Refusal!.Status, expired.Refusal.Extensions["code"]));
    }

    [Fact]
    public void another_products_code_is_a_403_product_mismatch_before_anything_else()
    {
        var license = Given.ARevokedLicenseOf(_product);

        var decision = MachineRules.Activate(On("host-1") with { Product = "other-app" }, license, _product, new LicenseSeats(), Given.Now);

        Assert.Equal((403, ValidationCodes.ProductMismatch), (decision.Refusal!.Status, decision.Refusal.Extensions["code"]));
        Assert.Null(MachineRules.Activate(On("host-1") with { Product = "DESKTOP-APP-PRO" }, Given.AnActiveLicenseOf(_product), _product,
            new LicenseSeats(), Given.Now).Refusal);
    }

    [Fact]
    public void a_deactivated_machine_whose_file_is_still_valid_keeps_its_seat_until_the_file_expires()
    {
        var license = Given.ALicenseWithSeats(_product, 1);
        var seats = Given.SeatsTakenBy(license, "host-1");
        var fileExpires = Given.Now.AddDays(30);
        seats.Apply(new LicenseFileIssued(license.Id, license.ProductId, seats.Active[0].MachineId, Given.Now, fileExpires));

        var deactivation = Catalog.Machines.Release.Decide(seats, license, x => x.Fingerprint == "host-1", Given.Now)!;
        var deactivated = Assert.IsType<MachineDeactivated>(Assert.Single(deactivation));
        Assert.Equal(fileExpires, deactivated.SeatHeldUntil);
        seats.Apply(deactivated);

        Assert.Equal(1, seats.TakenAt(Given.Now));
        Assert.Equal(409, MachineRules.Activate(On("host-2"), license, _product, seats, Given.Now).Refusal!.Status);
        Assert.Equal(409, MachineRules.Activate(On("host-2"), license, _product, seats, fileExpires.AddSeconds(-1)).Refusal!.Status);
        // At the file's expiry the seat is free, with no job to free it, and the expired hold is tidied away.
        var later = MachineRules.Activate(On("host-2"), license, _product, seats, fileExpires);
        Assert.NotNull(later.Activated);
        Assert.Equal(Assert.IsType<SeatsFreed>(later.Events[0]).Holds, [new SeatHold(deactivated.MachineId, fileExpires)]);
    }

    [Fact]
    public void the_installation_holding_a_seat_takes_it_again_with_its_files_hold()
    {
        var license = Given.ALicenseWithSeats(_product, 1);
        var seats = Given.SeatsTakenBy(license, "host-1");
        var fileExpires = Given.Now.AddDays(30);
        seats.Apply(new LicenseFileIssued(license.Id, license.ProductId, seats.Active[0].MachineId, Given.Now, fileExpires));
        foreach (var e in Catalog.Machines.Release.Decide(seats, license, x => x.Fingerprint == "host-1", Given.Now)!) seats.Apply((dynamic)e);

        var again = MachineRules.Activate(On("host-1"), license, _product, seats, Given.Now.AddDays(1));

        Assert.Equal([typeof(SeatsFreed), typeof(MachineActivated), typeof(LicenseFileIssued)], again.Events.Select(x => x.GetType()));
        foreach (var e in again.Events) seats.Apply((dynamic)e);
        Assert.Equal(1, seats.TakenAt(Given.Now.AddDays(1)));
        Assert.Equal(fileExpires, seats.Active[0].FileExpiresAt);
    }

    [Fact]
    public void the_vendor_frees_a_held_seat_at_once_when_it_forces()
    {
        var license = Given.ALicenseWithSeats(_product, 1);
        var seats = Given.SeatsTakenBy(license, "host-1");
        var machineId = seats.Active[0].MachineId;
        seats.Apply(new LicenseFileIssued(license.Id, license.ProductId, machineId, Given.Now, Given.Now.AddDays(30)));

        var forced = Catalog.Machines.Release.Decide(seats, license, x => x.MachineId == machineId, Given.Now, force: true)!;
        Assert.Null(Assert.IsType<MachineDeactivated>(Assert.Single(forced)).SeatHeldUntil);

        // A seat held by a machine deactivated earlier is freed by its id too.
        foreach (var e in Catalog.Machines.Release.Decide(seats, license, x => x.MachineId == machineId, Given.Now)!) seats.Apply((dynamic)e);
        Assert.Null(Catalog.Machines.Release.Decide(seats, license, x => x.MachineId == machineId, Given.Now));
        var freed = Catalog.Machines.Release.Decide(seats, license, x => x.MachineId == machineId, Given.Now, force: true)!;
        seats.Apply(Assert.IsType<SeatsFreed>(Assert.Single(freed)));
        Assert.Equal(0, seats.TakenAt(Given.Now));
    }
}
