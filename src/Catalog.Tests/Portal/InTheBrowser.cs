using System.Diagnostics;
using Catalog.Licenses;

namespace Catalog.Tests.Portal;

/// <summary>
/// The portal and the console in real headless Chromium (Debian's package, driven by playwright-core: tests/tools/portal.mjs),
/// against the service run as operators run it (its own process, Production mode). With CATALOG_SCREENSHOTS set to a
/// folder (docs/screenshots), the pages' screenshots are written there for the README.
/// </summary>
public class InTheBrowser(AppFixture fixture) : ApiTest(fixture)
{
    [Fact]
    public async Task a_holder_frees_the_lost_laptops_seat_and_downloads_a_file_and_the_support_desk_finds_the_license_and_frees_a_seat()
    {
        var bought = await ALicenseWithSeatsTaken(2);
        foreach (var (fingerprint, name) in new[] { ("office-desktop-7f3a", "Office desktop"), ("old-laptop-91c2", "Old laptop") })
            Assert.Equal(201, (await AsLicense("POST", "/api/v1/client/machines", bought.License.Key, JsonSerializer.Serialize(new { fingerprint, name }))).Status);
        // The software counts 7 uses.
        Assert.Equal(200, (await AsLicense("POST", "/api/v1/client/usage", bought.License.Key, """{"increment":7}""")).Status);
        // The software validates three times today: the vendor's back end twice, the client once.
        for (var i = 0; i < 2; i++) Assert.Equal(200, (await Post("/api/v1/licenses/validate", bought.Vendor, new { key = bought.License.Key })).Status);
        Assert.Equal(200, (await AsLicense("POST", "/api/v1/client/validate", bought.License.Key, "{}")).Status);
        var screenshots = Environment.GetEnvironmentVariable("CATALOG_SCREENSHOTS") is { Length: > 0 } folder
            ? Path.GetFullPath(folder, TestTools.RepositoryRoot)
            : Directory.CreateTempSubdirectory("catalog-pages-").FullName;
        await using var service = await ServiceProcess.Start();

        var input = JsonSerializer.Serialize(new
        {
            @base = service.BaseUrl, licenseKey = bought.License.Key, apiKey = bought.Vendor.Key, accountId = bought.Vendor.AccountId,
            productId = bought.License.ProductId, issuer = "catalog", lostMachine = "Old laptop", newFingerprint = "new-laptop-44d0", screenshots,
            activationsToday = 3, validationsToday = 3, renewUntil = $"{DateTime.UtcNow.Year + 2}-06-30",
        });
        var browser = await CommandLineRunner.RunToEnd(
            new ProcessStartInfo("node", [Path.Combine(TestTools.Directory, "portal.mjs"), input]) { WorkingDirectory = TestTools.Directory },
            TimeSpan.FromMinutes(4));
        Assert.True(browser.ExitCode == 0, browser.Output + browser.Error + string.Join("\n", service.Output.TakeLast(40)));
        var result = browser.LastJson;
        var portal = result.GetProperty("portal");
        var desk = result.GetProperty("console");
        string[] Texts(JsonElement x, string name) => x.GetProperty(name).EnumerateArray().Select(y => y.GetString()!).ToArray();

        // The holder: a wrong key in words, then the license and its machines; the lost laptop deactivated.
        Assert.Contains("not recognised", portal.GetProperty("wrongKey").GetString());
        Assert.Equal(["Office desktop", "Old laptop"], Texts(portal, "machinesShown").Order());
        Assert.Equal("2 of 2", portal.GetProperty("seats").GetString());
        Assert.Equal("Desktop App Pro", portal.GetProperty("product").GetString());
        Assert.Equal(["Office desktop"], Texts(portal, "afterDeactivation"));
        // The software on the new laptop activates with the key alone: the seat is free.
        Assert.Equal(201, portal.GetProperty("newActivation").GetInt32());
        // Its license file, verified with the account's JWK Set (jose), bound to it.
        var file = portal.GetProperty("file");
        Assert.True(file.GetProperty("valid").GetBoolean(), file.ToString());
        Assert.Equal("new-laptop-44d0", file.GetProperty("machineFingerprint").GetString());
        Assert.Equal(bought.License.Id.ToString(), file.GetProperty("licenseId").GetString());
        Assert.Contains("No active machine has this fingerprint", portal.GetProperty("unknownFingerprint").GetString());
        // The key: in the tab's session only, never in a URL, a cookie or local storage; gone at sign-out.
        Assert.Equal(0, portal.GetProperty("storage").GetProperty("local").GetInt32());
        Assert.Equal(0, portal.GetProperty("cookies").GetInt32());
        Assert.False(portal.GetProperty("keyInAUrl").GetBoolean());
        Assert.Equal(0, portal.GetProperty("afterSignOut").GetInt32());

        // The support desk: the product, the license found by its key with its machines and events, a seat freed.
        Assert.Contains(Texts(desk, "products"), x => x == "Desktop App Pro");
        Assert.Equal(["New laptop", "Office desktop"], Texts(desk, "machines").Order());
        // Its stream, newest first: the new laptop, the lost one's deactivation, the uses, the two bought.
        Assert.Equal(["machine.activated", "machine.deactivated", "license.usage.incremented", "machine.activated", "machine.activated"],
            Texts(desk, "events"));
        Assert.Equal(["Office desktop"], Texts(desk, "machinesAfterFreeing"));
        Assert.Equal("1 of 2", desk.GetProperty("seatsAfterFreeing").GetString());
        Assert.Equal("suspended", desk.GetProperty("statusAfterSuspending").GetString());
        Assert.Equal("active", desk.GetProperty("statusAfterReinstating").GetString());
        Assert.Contains($"{DateTime.UtcNow.Year + 2}", desk.GetProperty("expiresAfterRenewing").GetString());
        Assert.Equal("7 (no limit)", desk.GetProperty("usageBeforeReset").GetString());
        Assert.Equal("0 (no limit)", desk.GetProperty("usageAfterReset").GetString());
        var renewed = (await Get($"/api/v1/licenses/{bought.License.Id}", bought.Vendor)).As<LicenseDetails>();
        Assert.Equal(new DateTimeOffset(DateTime.UtcNow.Year + 2, 6, 30, 23, 59, 59, TimeSpan.Zero), renewed.ExpiresAt);
        Assert.Equal(0, renewed.Uses);
        // The chart counts the day's activations and validations from the event store: the two bought and the new
        // laptop; the three validations above (the console's search by key is not one).
        Assert.Equal(3, desk.GetProperty("activationsToday").GetInt32());
        Assert.Equal(3, desk.GetProperty("validationsToday").GetInt32());
        Assert.Equal([bought.License.Key], Texts(desk, "licensesListed"));
        Assert.False(result.GetProperty("keyInAUrl").GetBoolean());
        // No script error and no Content-Security-Policy violation on either page.
        Assert.Empty(result.GetProperty("consoleErrors").EnumerateArray());

        foreach (var page in new[] { "portal", "console-products", "console-license", "console-product" })
            Assert.True(new FileInfo(Path.Combine(screenshots, page + ".png")).Length > 10_000, page);
        if (Environment.GetEnvironmentVariable("CATALOG_SCREENSHOTS") is not { Length: > 0 }) Directory.Delete(screenshots, recursive: true);
    }
}
