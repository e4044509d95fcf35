using Catalog.Licenses;
using Catalog.Machines;

namespace Catalog.Tests.Machines;

/// <summary>
/// A user recovers the seat of a lost laptop from the software on the new one, with the license key alone, in one
/// call: the list shows names and last heartbeats, never fingerprints, and a machine is freed by its id.
/// </summary>
public class SelfServiceSeats(AppFixture fixture) : ApiTest(fixture)
{
    [Fact]
    public async Task the_software_on_a_new_machine_frees_the_seat_of_a_lost_one_by_its_id()
    {
        var vendor = await AClient();
        var product = await CreateProduct(vendor);
        var license = await IssueLicense(vendor, product.Id, new { maxMachines = 1 });
        var lost = (await AsLicense("POST", "/api/v1/client/machines", license.Key,
            JsonSerializer.Serialize(new { fingerprint = "secret-hardware-id", name = "Old laptop", product = product.Code }))).As<MachineDetails>();
        var refused = await AsLicense("POST", "/api/v1/client/machines", license.Key,
            JsonSerializer.Serialize(new { fingerprint = "new-laptop", product = product.Code }));
        Assert.Equal("MACHINE_LIMIT_REACHED", refused.Code);

        var listed = await AsLicense("GET", $"/api/v1/client/machines?product={product.Code}", license.Key);
        Assert.True(listed.Status == 200, listed.ToString());
        Assert.DoesNotContain("secret-hardware-id", listed.Text);
        var machine = Assert.Single(listed.Data.EnumerateArray());
        Assert.Equal(["id", "name", "activatedAt", "lastHeartbeatAt"], machine.EnumerateObject().Select(x => x.Name).ToArray());
        Assert.Equal(lost.Id, machine.GetProperty("id").GetGuid());
        Assert.Equal("Old laptop", machine.GetProperty("name").GetString());

        Assert.Equal(204, (await AsLicense("DELETE", $"/api/v1/client/machines/by-id/{lost.Id}?product={product.Code}", license.Key)).Status);
        Assert.Equal(404, (await AsLicense("DELETE", $"/api/v1/client/machines/by-id/{lost.Id}", license.Key)).Status);
        Assert.Equal(201, (await AsLicense("POST", "/api/v1/client/machines", license.Key,
            JsonSerializer.Serialize(new { fingerprint = "new-laptop", product = product.Code }))).Status);
        Assert.Equal("client", Assert.Single(await EventsOfType(vendor, "machine.deactivated")).Data.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task a_license_key_sees_and_frees_only_its_own_machines()
    {
        var mine = await ALicenseWithSeatsTaken(2, "fp-mine");
        var theirs = await ALicenseWithSeatsTaken(2, "fp-theirs");
        var theirMachine = theirs.Machines.Single();

        var listed = await AsLicense("GET", "/api/v1/client/machines", mine.License.Key);
        Assert.Equal([mine.Machines.Single().Id], listed.Data.EnumerateArray().Select(x => x.GetProperty("id").GetGuid()).ToArray());
        Assert.Equal(404, (await AsLicense("DELETE", $"/api/v1/client/machines/by-id/{theirMachine.Id}", mine.License.Key)).Status);
        Assert.Single((await Get($"/api/v1/licenses/{theirs.License.Id}/machines", theirs.Vendor)).AsPage<MachineDetails>().Data);

        var mismatch = await AsLicense("GET", "/api/v1/client/machines?product=another-product", mine.License.Key);
        Assert.Equal(403, mismatch.Status);
        Assert.Equal("PRODUCT_MISMATCH", mismatch.Code);
        Assert.Equal("PRODUCT_MISMATCH",
            (await AsLicense("DELETE", $"/api/v1/client/machines/by-id/{mine.Machines.Single().Id}?product=another-product", mine.License.Key)).Code);
        Assert.Contains("produkt", (await AsLicense("GET", "/api/v1/client/machines?produkt=x", mine.License.Key)).ErrorFields);
        Assert.Equal(401, (await Send("GET", "/api/v1/client/machines", null)).Status);
    }
}
