using Catalog.Conventions;
using Catalog.EventLog;
using Catalog.LicenseFiles;
using Catalog.Licenses;
using Catalog.Machines;
using Microsoft.AspNetCore.Hosting;

namespace Catalog.Tests.Machines;

/// <summary>
/// A license file lets a machine run offline until it expires, so a machine-bound file holds its seat until then:
/// "activate, take a file, deactivate", repeated, never yields more working machines than seats.
/// </summary>
public class SeatsHoldOffline(AppFixture fixture) : ApiTest(fixture)
{
    private Task<ApiResponse> Activate(LicenseDetails license, string fingerprint) =>
        AsLicense("POST", "/api/v1/client/machines", license.Key, JsonSerializer.Serialize(new { fingerprint }));

    private Task<ApiResponse> FileFor(LicenseDetails license, string? fingerprint) =>
        AsLicense("POST", "/api/v1/client/license-file", license.Key, JsonSerializer.Serialize(new { fingerprint }));

    private async Task<int> MachinesCount(Client vendor, LicenseDetails license) =>
        (await Get($"/api/v1/licenses/{license.Id}", vendor)).As<LicenseDetails>().MachinesCount;

    [Fact]
    public async Task activate_take_a_file_deactivate_again_and_again_gives_one_working_machine_on_one_seat()
    {
        var (vendor, license) = await ALicense(new { maxMachines = 1 });
        var files = 0;

        for (var i = 0; i < 5; i++)
        {
            var activation = await Activate(license, $"fp-{i}");
            if (activation.Status != 201)
            {
                Assert.True(activation.Status == 409, activation.ToString());
                Assert.Equal("MACHINE_LIMIT_REACHED", activation.Code);
                continue;
            }
            if ((await FileFor(license, $"fp-{i}")).Status == 200) files++;
            Assert.Equal(204, (await AsLicense("DELETE", $"/api/v1/client/machines/fp-{i}", license.Key)).Status);
            // The machine is gone, its seat is not: its file still runs offline.
            Assert.Equal(1, await MachinesCount(vendor, license));
            Assert.Equal("NOT_ACTIVATED", (await Post("/api/v1/licenses/validate", vendor, new { key = license.Key, fingerprint = $"fp-{i}" }))
                .As<LicenseValidation>().Code);
        }

        Assert.Equal(1, files);
        Assert.Equal(0, (await Get($"/api/v1/licenses/{license.Id}/machines", vendor)).Data.GetArrayLength());
        // The seat limit cannot be lowered under the held seat either.
        Assert.Equal(200, (await Patch($"/api/v1/licenses/{license.Id}", vendor, new { maxMachines = 1 })).Status);
        await ReadModelsAgreeWithTheEvents();
    }

    [Fact]
    public async Task a_license_with_seats_gives_the_software_no_file_without_a_machine()
    {
        var (vendor, license) = await ALicense(new { maxMachines = 1 });
        Assert.Equal(201, (await Activate(license, "fp-1")).Status);

        var unbound = await FileFor(license, null);
        Assert.Equal(400, unbound.Status);
        Assert.Equal(["fingerprint"], unbound.ErrorFields);
        Assert.Equal(400, (await AsLicense("POST", "/api/v1/client/license-file", license.Key, "{}")).Status);

        // A license without a seat limit still gets one; and the vendor may give one: its own decision.
        var (_, unlimited) = await ALicense(new { });
        Assert.Equal(200, (await FileFor(unlimited, null)).Status);
        Assert.Equal(200, (await Get($"/api/v1/licenses/{license.Id}/file", vendor)).Status);
    }

    [Fact]
    public async Task the_installation_that_holds_the_seat_comes_back_on_it_and_the_vendor_can_free_it_at_once()
    {
        var (vendor, license) = await ALicense(new { maxMachines = 1 });
        var first = (await Activate(license, "fp-1")).As<MachineDetails>().Id;
        Assert.Equal(200, (await FileFor(license, "fp-1")).Status);
        Assert.Equal(204, (await AsLicense("DELETE", "/api/v1/client/machines/fp-1", license.Key)).Status);

        // The same installation activating again takes its own held seat: no second seat.
        Assert.Equal(201, (await Activate(license, "fp-1")).Status);
        Assert.Equal(1, await MachinesCount(vendor, license));
        Assert.Equal(204, (await AsLicense("DELETE", "/api/v1/client/machines/fp-1", license.Key)).Status);
        Assert.Equal(409, (await Activate(license, "fp-2")).Status);

        // The vendor frees the seat the old machine still holds, by that machine's id: without force it holds no active machine.
        var latest = (await Get($"/api/v1/events?type=machine.deactivated", vendor)).As<List<EventLogEntry>>().Last()
            .Data.Deserialize<MachineDeactivated>(ApiJson.Options)!;
        Assert.NotNull(latest.SeatHeldUntil);
        var machine = latest.MachineId;
        Assert.NotEqual(first, machine);
        Assert.Equal(404, (await Delete($"/api/v1/machines/{machine}", vendor)).Status);
        Assert.Equal(400, (await Delete($"/api/v1/machines/{machine}?force=maybe", vendor)).Status);
        Assert.Equal(204, (await Delete($"/api/v1/machines/{machine}?force=true", vendor)).Status);
        Assert.Equal(404, (await Delete($"/api/v1/machines/{machine}?force=true", vendor)).Status);
        Assert.Equal(0, await MachinesCount(vendor, license));
        Assert.Equal(201, (await Activate(license, "fp-2")).Status);

        // Forced on an active machine with a file, the seat is free at once too; another account cannot.
        Assert.Equal(200, (await FileFor(license, "fp-2")).Status);
        var second = (await Get($"/api/v1/licenses/{license.Id}/machines", vendor)).As<List<MachineDetails>>()[0].Id;
        var stranger = await AClient();
        Assert.Equal(404, (await Delete($"/api/v1/machines/{second}?force=true", stranger)).Status);
        Assert.Equal(204, (await Delete($"/api/v1/machines/{second}?force=true", vendor)).Status);
        Assert.Equal(0, await MachinesCount(vendor, license));
        Assert.Equal(201, (await Activate(license, "fp-3")).Status);
        await ReadModelsAgreeWithTheEvents();
    }

    [Fact]
    public async Task a_held_seat_is_free_when_the_file_expires_with_no_job_to_free_it()
    {
        await Fixture.RestartAsync(builder => builder.UseSetting("Signing:FileLifetime", "00:00:02"));
        try
        {
            await base.InitializeAsync();
            var (vendor, license) = await ALicense(new { maxMachines = 1 });
            Assert.Equal(201, (await Activate(license, "fp-1")).Status);
            var file = await FileFor(license, "fp-1");
            Assert.Equal(200, file.Status);
            Assert.Equal(204, (await AsLicense("DELETE", "/api/v1/client/machines/fp-1", license.Key)).Status);
            Assert.Equal(409, (await Activate(license, "fp-2")).Status);

            var expiresAt = file.As<LicenseFileDetails>().ExpiresAt;
            await Task.Delay(expiresAt - DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(200));

            Assert.Equal(0, await MachinesCount(vendor, license));
            Assert.Equal(201, (await Activate(license, "fp-2")).Status);
            Assert.Equal(1, await MachinesCount(vendor, license));
            await ReadModelsAgreeWithTheEvents();
        }
        finally
        {
            await Fixture.RestartAsync();
        }
    }
}
