using Catalog.Conventions;
using Catalog.Licenses;
using Catalog.Policies;
using Catalog.Products;
using Marten;
using Marten.Linq.MatchesSql;
using License = Catalog.Licenses.License;

namespace Catalog.Tests.Policies;

/// <summary>
/// Issuance under a policy, the values in force (the license's own over its policy's), and a policy's change holding at
/// once for every license under it, because each request reads the policy with the license.
/// </summary>
public class LicensesUnderAPolicy(AppFixture fixture) : ApiTest(fixture)
{
    private static string Validation(string key, params string[] entitlements) => JsonSerializer.Serialize(new { key, entitlements });

    [Fact]
    public async Task a_license_issued_under_a_policy_shows_the_policys_values_and_its_own_over_them()
    {
        var (vendor, product) = await AProductWithEntitlements("export-pdf", "Cloud-Sync", "sso");
        var policy = await APolicy(vendor, product.Id, new { name = "Pro", maxMachines = 3, maxUses = 100, entitlements = new[] { "export-pdf" } });

        var plain = await IssueLicense(vendor, product.Id, new { policyId = policy.Id });
        var own = await IssueLicense(vendor, product.Id, new { policyId = policy.Id, maxMachines = 10, maxUses = 5, entitlements = new[] { "SSO", "cloud-sync" } });

        Assert.Equal((policy.Id, 3, 100, 0, (DateTimeOffset?)null), (plain.PolicyId, plain.MaxMachines, plain.MaxUses, plain.Uses, plain.ExpiresAt));
        Assert.Equal(["export-pdf"], plain.Entitlements);
        Assert.Equal((10, 5), (own.MaxMachines, own.MaxUses));
        Assert.Equal(["Cloud-Sync", "export-pdf", "sso"], own.Entitlements);
        // Every way of reading it agrees.
        var shown = (await Get($"/api/v1/licenses/{own.Id}", vendor)).Data.GetRawText();
        Assert.Equal(JsonSerializer.Serialize(own, Catalog.Conventions.ApiJson.Options), shown);
        Assert.Equal(shown, (await Get($"/api/v1/licenses?productId={product.Id}", vendor)).Data.EnumerateArray().Single(x => x.GetProperty("id").GetGuid() == own.Id).GetRawText());
        Assert.Equal(shown, (await AsLicense("GET", "/api/v1/client/license", own.Key)).Data.GetRawText());
        var issued = (await EventsOfType(vendor, "license.issued")).Single(x => x.Data.GetProperty("licenseId").GetGuid() == own.Id);
        Assert.Equal(policy.Id, issued.Data.GetProperty("policyId").GetGuid());
    }

    [Theory]
    [InlineData("unknown")]
    [InlineData("deleted")]
    [InlineData("another product's")]
    [InlineData("another account's")]
    public async Task a_policy_id_that_is_no_live_policy_of_the_product_is_a_400_naming_it(string which)
    {
        var (vendor, product) = await AProductWithEntitlements();
        var policyId = which switch
        {
            "unknown" => Guid.CreateVersion7(),
            "deleted" => await ADeletedPolicy(vendor, product.Id),
            "another product's" => (await APolicy(vendor, (await CreateProduct(vendor)).Id, new { name = "Other" })).Id,
            _ => await AnotherAccountsPolicy()
        };

        var refused = await Post($"/api/v1/products/{product.Id}/licenses", vendor, new { policyId });

        Assert.Equal((400, "policyId"), (refused.Status, string.Join(",", refused.ErrorFields)));
        Assert.Equal(0, await LicensesCount(vendor, product.Id));
    }

    private async Task<Guid> ADeletedPolicy(Client vendor, Guid productId)
    {
        var policy = await APolicy(vendor, productId, new { name = "Gone" });
        Assert.Equal(204, (await Delete($"/api/v1/policies/{policy.Id}", vendor)).Status);
        return policy.Id;
    }

    private async Task<Guid> AnotherAccountsPolicy()
    {
        var (other, product) = await AProductWithEntitlements();
        return (await APolicy(other, product.Id, new { name = "Theirs" })).Id;
    }

    [Fact]
    public async Task unknown_entitlements_and_limits_out_of_range_are_400s_naming_them()
    {
        var (vendor, product) = await AProductWithEntitlements("export-pdf");

        var unknown = await Post($"/api/v1/products/{product.Id}/licenses", vendor, new { entitlements = new[] { "export-pdf", "teleport" } });
        var maxUses = await Post($"/api/v1/products/{product.Id}/licenses", vendor, new { maxUses = 0 });
        var nulls = await Post($"/api/v1/products/{product.Id}/licenses", vendor, new { entitlements = new string?[] { null } });

        Assert.Equal((400, "entitlements"), (unknown.Status, string.Join(",", unknown.ErrorFields)));
        Assert.Contains("teleport", unknown.Text);
        Assert.Equal((400, "maxUses"), (maxUses.Status, string.Join(",", maxUses.ErrorFields)));
        Assert.Equal((400, "entitlements"), (nulls.Status, string.Join(",", nulls.ErrorFields)));
    }

    [Fact]
    public async Task a_licenses_own_entitlements_are_replaced_whole_by_a_patch_and_validation_asks_them()
    {
        var (vendor, product) = await AProductWithEntitlements("export-pdf", "sso");
        var license = await IssueLicense(vendor, product.Id, new { entitlements = new[] { "export-pdf" } });
        async Task<string> Validate(params string[] asked) =>
            (await Send("POST", "/api/v1/licenses/validate", vendor, Validation(license.Key, asked))).Data.GetProperty("code").GetString()!;

        Assert.Equal("VALID", await Validate("EXPORT-PDF"));
        Assert.Equal("ENTITLEMENTS_MISSING", await Validate("export-pdf", "sso"));

        var patched = await Patch($"/api/v1/licenses/{license.Id}", vendor, new { entitlements = new[] { "sso" }, maxUses = 7 });

        Assert.Equal(200, patched.Status);
        Assert.Equal(["sso"], patched.As<LicenseDetails>().Entitlements);
        Assert.Equal(7, patched.As<LicenseDetails>().MaxUses);
        Assert.Equal("ENTITLEMENTS_MISSING", await Validate("export-pdf"));
        Assert.Equal("VALID", await Validate("sso"));
        // The client asks the same question with its key.
        var client = await AsLicense("POST", "/api/v1/client/validate", license.Key, """{"entitlements": ["sso", "export-pdf"]}""");
        Assert.Equal("ENTITLEMENTS_MISSING", client.Data.GetProperty("code").GetString());
        // A malformed code is a bad question, not a missing entitlement.
        var malformed = await Send("POST", "/api/v1/licenses/validate", vendor, Validation(license.Key, "no spaces"));
        Assert.Equal((400, "entitlements"), (malformed.Status, string.Join(",", malformed.ErrorFields)));
    }

    [Fact]
    public async Task an_entitlement_a_license_grants_or_a_deleted_policy_its_licenses_keep_cannot_be_deleted()
    {
        var (vendor, product) = await AProductWithEntitlements("export-pdf", "sso");
        var entitlements = (await Get("/api/v1/entitlements", vendor)).AsPage<Catalog.Entitlements.EntitlementDetails>().Data.ToDictionary(x => x.Code, x => x.Id);
        var license = await IssueLicense(vendor, product.Id, new { entitlements = new[] { "export-pdf" } });
        var policy = await APolicy(vendor, product.Id, new { name = "SSO", entitlements = new[] { "sso" } });
        await IssueLicense(vendor, product.Id, new { policyId = policy.Id });
        Assert.Equal(204, (await Delete($"/api/v1/policies/{policy.Id}", vendor)).Status);

        var byLicense = await Delete($"/api/v1/entitlements/{entitlements["export-pdf"]}", vendor);
        var byDeletedPolicy = await Delete($"/api/v1/entitlements/{entitlements["sso"]}", vendor);

        Assert.Equal(409, byLicense.Status);
        // Named by its id: products:write alone must never read a license key, which opens the client endpoints.
        Assert.Contains(license.Id.ToString(), byLicense.Detail);
        Assert.DoesNotContain(license.Key, byLicense.Text);
        Assert.Equal(409, byDeletedPolicy.Status);
        // Taken away from the license, it can go.
        Assert.Equal(200, (await Patch($"/api/v1/licenses/{license.Id}", vendor, new { entitlements = Array.Empty<string>() })).Status);
        Assert.Equal(204, (await Delete($"/api/v1/entitlements/{entitlements["export-pdf"]}", vendor)).Status);
    }

    [Fact]
    public async Task a_deleted_policy_takes_no_new_license_but_its_licenses_keep_its_rules()
    {
        var (vendor, product) = await AProductWithEntitlements("export-pdf");
        var policy = await APolicy(vendor, product.Id, new { name = "Pro", maxMachines = 2, entitlements = new[] { "export-pdf" } });
        var license = await IssueLicense(vendor, product.Id, new { policyId = policy.Id });

        Assert.Equal(204, (await Delete($"/api/v1/policies/{policy.Id}", vendor)).Status);

        var kept = (await Get($"/api/v1/licenses/{license.Id}", vendor)).As<LicenseDetails>();
        Assert.Equal((policy.Id, 2, "export-pdf"), (kept.PolicyId, kept.MaxMachines, string.Join(",", kept.Entitlements)));
        Assert.Equal(400, (await Post($"/api/v1/products/{product.Id}/licenses", vendor, new { policyId = policy.Id })).Status);
    }

    [Fact]
    public async Task a_license_issued_while_its_policy_is_deleted_commits_before_the_deletion_or_is_refused()
    {
        var (vendor, product) = await AProductWithEntitlements();
        var policy = await APolicy(vendor, product.Id, new { name = "Going" });

        var issuances = Enumerable.Range(0, 12).Select(_ => Post($"/api/v1/products/{product.Id}/licenses", vendor, new { policyId = policy.Id })).ToList();
        var deletion = Delete($"/api/v1/policies/{policy.Id}", vendor);
        var answers = await Task.WhenAll(issuances);

        Assert.Equal(204, (await deletion).Status);
        Assert.All(answers, x => Assert.Contains(x.Status, new[] { 201, 400 }));
        var deleted = Assert.Single(await EventsOfType(vendor, "policy.deleted")).Sequence;
        var issued = (await EventsOfType(vendor, "license.issued")).Where(x => x.Data.GetProperty("productId").GetGuid() == product.Id).ToList();
        Assert.Equal(answers.Count(x => x.Status == 201), issued.Count);
        Assert.All(issued, x => Assert.True(x.Sequence < deleted, "a license took the policy after its deletion"));
    }

    /// <summary>
    /// The contract's promise: after a policy's PATCH has answered, no validation, activation or file of any of its
    /// 10,000 licenses sees the old rule. The licenses are written as issuance writes them (LicenseIssued on the
    /// product's stream, in one transaction: the test is about the change, not about issuing), then the policy changes once.
    /// </summary>
    [Fact]
    public async Task a_policy_change_holds_at_once_for_all_ten_thousand_of_its_licenses_and_writes_none_of_them()
    {
        const int count = 10_000;
        var (vendor, product) = await AProductWithEntitlements("export-pdf", "sso");
        var policy = await APolicy(vendor, product.Id, new { name = "Team", maxMachines = 5, entitlements = new[] { "export-pdf" } });
        var keys = new LicenseKeys();
        var issued = Enumerable.Range(0, count).Select(_ => new LicenseIssued(Guid.CreateVersion7(), product.Id, keys.Next(product.KeyPrefix), null, [],
            DateTimeOffset.UtcNow.ToMilliseconds(), PolicyId: policy.Id, Entitlements: [])).ToList();
        await using (var session = Store.LightweightSession(vendor.AccountId.ToString()))
        {
            session.Events.Append(product.Id, issued.Cast<object>().ToArray());
            await session.SaveChangesAsync();
        }
        Assert.Equal(count, await LicensesCount(vendor, product.Id));
        var sample = new[] { issued[0], issued[count / 2], issued[^1] }.Concat(issued.OrderBy(_ => Random.Shared.Next()).Take(7)).ToList();
        foreach (var license in sample)
            Assert.Equal("ENTITLEMENTS_MISSING", (await Send("POST", "/api/v1/licenses/validate", vendor, Validation(license.Key, "sso"))).Data.GetProperty("code").GetString());

        var before = DateTimeOffset.UtcNow;
        var patched = await Patch($"/api/v1/policies/{policy.Id}", vendor, new { maxMachines = 1, entitlements = new[] { "sso" } });
        Assert.Equal(200, patched.Status);

        foreach (var license in sample)
        {
            var validated = (await Send("POST", "/api/v1/licenses/validate", vendor, Validation(license.Key, "sso"))).Data;
            Assert.Equal("VALID", validated.GetProperty("code").GetString());
            Assert.Equal(1, validated.GetProperty("license").GetProperty("maxMachines").GetInt32());
            Assert.Equal("ENTITLEMENTS_MISSING", (await Send("POST", "/api/v1/licenses/validate", vendor, Validation(license.Key, "export-pdf"))).Data.GetProperty("code").GetString());
        }
        // The new seat limit and entitlements hold for activation and for files too.
        var last = issued[^1];
        Assert.Equal(201, (await AsLicense("POST", "/api/v1/client/machines", last.Key, """{"fingerprint": "host-1"}""")).Status);
        var full = await AsLicense("POST", "/api/v1/client/machines", last.Key, """{"fingerprint": "host-2"}""");
        Assert.Equal((409, "MACHINE_LIMIT_REACHED"), (full.Status, full.Code));
        var file = await AsLicense("POST", "/api/v1/client/license-file", last.Key, """{"fingerprint": "host-1"}""");
        var claims = JsonDocument.Parse(System.Buffers.Text.Base64Url.DecodeFromChars(file.Data.GetProperty("file").GetString()!.Split('.')[1])).RootElement;
        Assert.Equal(["sso"], claims.GetProperty("license").GetProperty("entitlements").EnumerateArray().Select(x => x.GetString()));
        Assert.Equal(1, claims.GetProperty("license").GetProperty("maxMachines").GetInt32());
        // No fan-out: the change wrote the policy alone, not one of its licenses (the one activated since aside).
        await using var check = Store.QuerySession(vendor.AccountId.ToString());
        var written = await check.Query<License>().Where(x => x.PolicyId == policy.Id && x.Id != last.LicenseId)
            .Where(x => x.MatchesSql("d.mt_last_modified >= ?", before)).Select(x => x.Id).ToListAsync();
        Assert.Empty(written);
    }
}
