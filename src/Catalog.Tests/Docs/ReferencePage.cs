using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;

namespace Catalog.Tests.Docs;

/// <summary>The /docs page in real headless Chromium (Debian's package, driven by playwright-core).</summary>
public class ReferencePage(AppFixture fixture) : ApiTest(fixture)
{
    [Fact]
    public async Task the_reference_page_lists_the_operations_and_its_try_it_request_succeeds()
    {
        var client = await AClient();
        await CreateProduct(client, AProduct("shown-in-docs"));
        await using var service = await ServiceProcess.Start();
        var screenshot = Path.Combine(Path.GetTempPath(), $"catalog-docs-{Guid.NewGuid():N}.png");

        var browser = await CommandLineRunner.RunToEnd(
            new ProcessStartInfo("node", [Path.Combine(TestTools.Directory, "docs.mjs"), service.BaseUrl, client.Key, screenshot])
                { WorkingDirectory = TestTools.Directory },
            TimeSpan.FromMinutes(3));

        Assert.True(browser.ExitCode == 0, browser.Output + browser.Error);
        var result = browser.LastJson;
        Assert.All(result.GetProperty("listed").EnumerateObject(), x => Assert.True(x.Value.GetBoolean(), x.Name));
        Assert.Equal(200, result.GetProperty("tryIt").GetProperty("status").GetInt32());
        Assert.Contains("shown-in-docs", result.GetProperty("tryIt").GetProperty("body").GetString());
        Assert.True(new FileInfo(screenshot).Length > 10_000);
        File.Delete(screenshot);
    }
}
