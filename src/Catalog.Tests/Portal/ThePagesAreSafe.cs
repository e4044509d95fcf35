using System.Text.RegularExpressions;
using Catalog.Machines;

namespace Catalog.Tests.Portal;

/// <summary>
/// The portal (/portal) and the console (/console) as a web page must be: a Content-Security-Policy without inline code,
/// no cookie (the key travels in a header, so another site cannot forge a change), only the shipped files, the same rate
/// limits as any request, and nothing of another license or account within reach.
/// </summary>
public partial class ThePagesAreSafe(AppFixture fixture) : ApiTest(fixture)
{
    private static readonly string[] Pages = ["/portal", "/console"];
    private static readonly string[] Assets = ["/ui/common.js", "/ui/portal.js", "/ui/console.js", "/ui/pages.css"];

    [Fact]
    public async Task every_page_and_asset_forbids_inline_code_framing_and_other_origins_and_sets_no_cookie()
    {
        foreach (var url in Pages.Concat(Assets))
        {
            var response = await Send("GET", url, null);
            Assert.True(response.Status == 200, $"{url}: {response}");
            var policy = response.Headers.ContentSecurityPolicy.ToString();
            Assert.Equal(Catalog.Portal.PortalConfiguration.ContentSecurityPolicy, policy);
            Assert.DoesNotContain("unsafe-inline", policy);
            Assert.DoesNotContain("unsafe-eval", policy);
            foreach (var directive in new[] { "default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "frame-ancestors 'none'", "form-action 'none'" })
                Assert.Contains(directive, policy);
            Assert.Equal("nosniff", response.Headers.XContentTypeOptions.ToString());
            Assert.Equal("no-referrer", response.Headers["Referrer-Policy"].ToString());
            Assert.False(response.Headers.ContainsKey("Set-Cookie"), url);
        }
    }

    [Fact]
    public async Task the_pages_hold_no_inline_script_style_or_handler_and_the_scripts_never_write_html_or_keep_a_key_beyond_the_tab()
    {
        foreach (var url in Pages)
        {
            var html = (await Send("GET", url, null)).Text;
            Assert.Empty(InlineScript().Matches(html));
            Assert.DoesNotContain("<style", html);
            Assert.DoesNotMatch(InlineAttribute(), html);
            // Every field has its label.
            foreach (Match input in Regex.Matches(html, "<(input|select)[^>]* id=\"([^\"]+)\""))
                Assert.Contains($"for=\"{input.Groups[2].Value}\"", html);
        }
        foreach (var url in Assets.Where(x => x.EndsWith(".js")))
        {
            var script = (await Send("GET", url, null)).Text;
            foreach (var risky in new[] { "innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function", "localStorage", "document.cookie" })
                Assert.False(script.Contains(risky), $"{url} uses {risky}");
        }
    }

    [Fact]
    public async Task only_the_shipped_files_are_served_and_an_unchanged_one_is_304()
    {
        foreach (var url in new[] { "/ui/nope.js", "/ui/portal.html", "/ui/..%2Fappsettings.json", "/ui/Catalog.dll" })
        {
            var response = await Send("GET", url, null);
            Assert.Equal(404, response.Status);
            Assert.Equal("application/problem+json", response.Headers.ContentType.ToString());
        }
        var first = await Send("GET", "/ui/portal.js", null);
        Assert.StartsWith("text/javascript", first.Headers.ContentType.ToString());
        var again = await Send("GET", "/ui/portal.js", null, configure: r => r.Headers.IfNoneMatch = first.Headers.ETag.ToString());
        Assert.Equal(304, again.Status);
    }

    [Fact]
    public async Task a_change_forged_by_another_site_is_refused_and_changes_nothing()
    {
        var license = await ALicenseWithSeatsTaken(2, "the-laptop");
        var machine = license.Machines.Single();
        // What a hostile page can make a browser send: a form post or a DELETE through fetch, with cookies and an Origin, never our Authorization header.
        var forged = new[]
        {
            await Send("POST", "/api/v1/client/machines", null, "fingerprint=intruder", "application/x-www-form-urlencoded",
                r => { r.Headers.Origin = "https://attacker.example"; r.Headers.Cookie = "session=stolen"; }),
            await Send("DELETE", $"/api/v1/client/machines/by-id/{machine.Id}", null,
                configure: r => { r.Headers.Origin = "https://attacker.example"; r.Headers.Cookie = "session=stolen"; }),
            await Send("POST", $"/api/v1/licenses/{license.License.Id}/suspend", null, "", "text/plain",
                r => r.Headers.Origin = "https://attacker.example"),
        };
        Assert.All(forged, x => Assert.Equal(401, x.Status));
        Assert.All(forged, x => Assert.False(x.Headers.ContainsKey("Access-Control-Allow-Origin")));
        var machines = (await AsLicense("GET", "/api/v1/client/machines", license.License.Key)).Data.EnumerateArray().ToList();
        Assert.Equal([machine.Id], machines.Select(x => x.GetProperty("id").GetGuid()));
        Assert.Equal("active", (await Get($"/api/v1/licenses/{license.License.Id}", license.Vendor)).Data.GetProperty("status").GetString());
    }

    [Fact]
    public async Task the_portals_calls_reach_only_the_keys_own_license()
    {
        // Two accounts, and a fingerprint both licenses' machines happen to share.
        var mine = await ALicenseWithSeatsTaken(2, "shared-fingerprint");
        var theirs = await ALicenseWithSeatsTaken(2, "shared-fingerprint", "their-other-machine");

        var license = await AsLicense("GET", "/api/v1/client/license", mine.License.Key);
        Assert.Equal(mine.License.Id, license.Data.GetProperty("id").GetGuid());
        // Its product as the holder sees it: a name, nothing of the vendor's account or sales.
        var product = await AsLicense("GET", "/api/v1/client/product", mine.License.Key);
        Assert.Equal(["id", "name", "code", "deletedAt"], product.Data.EnumerateObject().Select(x => x.Name));
        Assert.Equal(mine.License.ProductId, product.Data.GetProperty("id").GetGuid());
        var theirProduct = (await Get($"/api/v1/products/{theirs.License.ProductId}", theirs.Vendor)).Data.GetProperty("code").GetString();
        Assert.Equal("PRODUCT_MISMATCH", (await AsLicense("GET", $"/api/v1/client/product?product={theirProduct}", mine.License.Key)).Code);
        Assert.Equal(401, (await Send("GET", "/api/v1/client/product", null)).Status);
        Assert.Equal(404, (await AsLicense("DELETE", $"/api/v1/client/machines/by-id/{theirs.Machines[1].Id}", mine.License.Key)).Status);
        var file = await AsLicense("POST", "/api/v1/client/license-file", mine.License.Key, """{"fingerprint":"their-other-machine"}""");
        Assert.Equal(403, file.Status);
        Assert.Equal("NOT_ACTIVATED", file.Code);
        Assert.Equal(2, (await Get($"/api/v1/licenses/{theirs.License.Id}/machines", theirs.Vendor)).AsPage<MachineDetails>().Data.Count);
        // An API key of one account finds nothing of another's through the console's calls either.
        var found = await Post("/api/v1/licenses/validate", mine.Vendor, new { key = theirs.License.Key });
        Assert.Equal("NOT_FOUND", found.Data.GetProperty("code").GetString());
        Assert.Equal(404, (await Get($"/api/v1/licenses/{theirs.License.Id}", mine.Vendor)).Status);
        Assert.Equal(404, (await Send("DELETE", $"/api/v1/machines/{theirs.Machines[0].Id}?force=true", mine.Vendor)).Status);
    }

    [Fact]
    public async Task the_pages_and_sign_ins_with_a_wrong_key_draw_on_the_addresss_allowance_like_any_request()
    {
        await WithSettings([("RateLimit:AnonymousPermitsPerSecond", "1"), ("RateLimit:AnonymousBurst", "6")], async () =>
        {
            var statuses = new List<int>();
            foreach (var url in Pages.Concat(Assets)) statuses.Add((await Send("GET", url, null)).Status);
            for (var i = 0; i < 10; i++)
                statuses.Add((await AsLicense("GET", "/api/v1/client/license", "ZZZ-AAAA-BBBB-CCCC-DDD" + "EFGHJKLMNP"[i])).Status);

            Assert.Equal([200, 200, 200, 200, 200, 200], statuses.Take(6));
            Assert.All(statuses.Skip(6), x => Assert.Contains(x, new[] { 401, 429 }));
            Assert.True(statuses.Skip(6).Count(x => x == 429) >= 5, string.Join(",", statuses));
        });
    }

    [GeneratedRegex("<script(?![^>]*\\bsrc=)[^>]*>", RegexOptions.IgnoreCase)]
    private static partial Regex InlineScript();

    [GeneratedRegex("\\s(on[a-z]+|style)\\s*=", RegexOptions.IgnoreCase)]
    private static partial Regex InlineAttribute();
}
