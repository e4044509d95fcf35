using Catalog.Conventions;
using Catalog.Entitlements;
using Catalog.EventLog;
using Catalog.Policies;
using Catalog.Products;

namespace Catalog.Tests.Policies;

public class ManagingPolicies(AppFixture fixture) : ApiTest(fixture)
{
    [Fact]
    public async Task a_policy_with_only_a_name_takes_every_default()
    {
        var (vendor, product) = await AProductWithEntitlements();

        var created = await Post($"/api/v1/products/{product.Id}/policies", vendor, new { name = "Perpetual" });

        Assert.Equal(201, created.Status);
        var policy = created.As<PolicyDetails>();
        Assert.Equal($"/api/v1/policies/{policy.Id}", created.Headers.Location.ToString());
        Assert.Equal((product.Id, "Perpetual", ExpirationBasis.Creation, 900, 0, false),
            (policy.ProductId, policy.Name, policy.ExpirationBasis, policy.LeaseSeconds, policy.MaxBorrowSeconds, policy.Trial));
        Assert.Equal([null, null, null, null, null, null],
            new long?[] { policy.Duration, policy.MaxMachines, policy.HeartbeatSeconds, policy.MaxConcurrent, policy.MaxUses, policy.FileLifetime });
        Assert.Empty(policy.Entitlements);
        Assert.Null(policy.DeletedAt);
        Assert.Equal(created.Text, (await Get($"/api/v1/policies/{policy.Id}", vendor)).Text);
        // Every field of the contract is on the wire, a null one as null.
        Assert.Equal(["id", "productId", "name", "duration", "expirationBasis", "maxMachines", "heartbeatSeconds", "maxConcurrent",
                "leaseSeconds", "maxBorrowSeconds", "maxUses", "fileLifetime", "trial", "entitlements", "metadata", "createdAt", "updatedAt", "deletedAt"],
            created.Data.EnumerateObject().Select(x => x.Name));
    }

    [Fact]
    public async Task every_field_is_kept_and_entitlements_are_spelt_as_the_account_has_them_sorted()
    {
        var (vendor, product) = await AProductWithEntitlements("export-pdf", "Cloud-Sync");

        var policy = await APolicy(vendor, product.Id, new
        {
            name = "Pro trial", duration = 1_209_600, expirationBasis = "firstActivation", maxMachines = 1, heartbeatSeconds = 600,
            maxConcurrent = 5, leaseSeconds = 300, maxBorrowSeconds = 86_400, maxUses = 1000, fileLifetime = 3600, trial = true,
            entitlements = new[] { "EXPORT-PDF", "cloud-sync", "export-pdf" }, metadata = new { tier = "pro" }
        });

        Assert.Equal((1_209_600L, "firstActivation", 1, 600, 5, 300, 86_400, 1000, 3600, true),
            (policy.Duration, policy.ExpirationBasis, policy.MaxMachines, policy.HeartbeatSeconds, policy.MaxConcurrent, policy.LeaseSeconds,
                policy.MaxBorrowSeconds, policy.MaxUses, policy.FileLifetime, policy.Trial));
        Assert.Equal(["Cloud-Sync", "export-pdf"], policy.Entitlements);
        Assert.Equal("pro", policy.Metadata["tier"].GetString());
    }

    [Theory]
    [InlineData("""{}""", "name")]
    [InlineData("""{"name": ""}""", "name")]
    [InlineData("""{"name": "P", "duration": 3599}""", "duration")]
    [InlineData("""{"name": "P", "duration": 3153600001}""", "duration")]
    [InlineData("""{"name": "P", "expirationBasis": "firstUse"}""", "expirationBasis")]
    [InlineData("""{"name": "P", "maxMachines": 0}""", "maxMachines")]
    [InlineData("""{"name": "P", "maxMachines": 10001}""", "maxMachines")]
    [InlineData("""{"name": "P", "heartbeatSeconds": 59}""", "heartbeatSeconds")]
    [InlineData("""{"name": "P", "heartbeatSeconds": 86401}""", "heartbeatSeconds")]
    [InlineData("""{"name": "P", "maxConcurrent": 0}""", "maxConcurrent")]
    [InlineData("""{"name": "P", "leaseSeconds": 59}""", "leaseSeconds")]
    [InlineData("""{"name": "P", "maxBorrowSeconds": -1}""", "maxBorrowSeconds")]
    [InlineData("""{"name": "P", "maxBorrowSeconds": 2592001}""", "maxBorrowSeconds")]
    [InlineData("""{"name": "P", "maxUses": 0}""", "maxUses")]
    [InlineData("""{"name": "P", "maxUses": 2147483648}""", "maxUses")]
    [InlineData("""{"name": "P", "fileLifetime": 59}""", "fileLifetime")]
    [InlineData("""{"name": "P", "fileLifetime": 315360001}""", "fileLifetime")]
    [InlineData("""{"name": "P", "trial": "yes"}""", "trial")]
    [InlineData("""{"name": "P", "entitlements": ["no-such"]}""", "entitlements")]
    [InlineData("""{"name": "P", "entitlements": "export-pdf"}""", "entitlements")]
    [InlineData("""{"name": "P", "entitlements": ["export-pdf", null]}""", "entitlements")]
    [InlineData("""{"name": "P", "entitlements": ["export\u0000pdf"]}""", "entitlements")]
    [InlineData("""{"name": "P", "entitlements": ["export-pdf\n"]}""", "entitlements")]
    [InlineData("""{"name": "P", "seats": 3}""", "seats")]
    public async Task a_field_out_of_its_range_is_400_naming_it_and_stores_nothing(string body, string field)
    {
        var (vendor, product) = await AProductWithEntitlements("export-pdf");

        var response = await Send("POST", $"/api/v1/products/{product.Id}/policies", vendor, body);

        Assert.Equal(400, response.Status);
        Assert.Equal([field], response.ErrorFields);
        Assert.Empty((await Get($"/api/v1/products/{product.Id}/policies", vendor)).As<List<PolicyDetails>>());
    }

    [Fact]
    public async Task the_bounds_themselves_are_accepted()
    {
        var (vendor, product) = await AProductWithEntitlements();

        var low = await APolicy(vendor, product.Id, new { name = "Low", duration = 3600, maxMachines = 1, heartbeatSeconds = 60, maxConcurrent = 1,
            leaseSeconds = 60, maxBorrowSeconds = 0, maxUses = 1, fileLifetime = 60 });
        var high = await APolicy(vendor, product.Id, new { name = "High", duration = 3_153_600_000, maxMachines = 10_000, heartbeatSeconds = 86_400,
            maxConcurrent = 10_000, leaseSeconds = 86_400, maxBorrowSeconds = 2_592_000, maxUses = int.MaxValue, fileLifetime = 315_360_000 });

        Assert.Equal((3600L, 60), (low.Duration, low.FileLifetime));
        Assert.Equal((3_153_600_000L, int.MaxValue), (high.Duration, high.MaxUses));
    }

    [Fact]
    public async Task another_accounts_product_or_policy_is_not_there_and_a_deleted_product_takes_none()
    {
        var (vendor, product) = await AProductWithEntitlements();
        var policy = await APolicy(vendor, product.Id, new { name = "Mine" });
        var other = await AClient();

        Assert.Equal(404, (await Post($"/api/v1/products/{product.Id}/policies", other, new { name = "Theirs" })).Status);
        Assert.Equal(404, (await Get($"/api/v1/products/{product.Id}/policies", other)).Status);
        Assert.Equal(404, (await Get($"/api/v1/policies/{policy.Id}", other)).Status);
        Assert.Equal(404, (await Patch($"/api/v1/policies/{policy.Id}", other, new { name = "Theirs" })).Status);
        Assert.Equal(404, (await Delete($"/api/v1/policies/{policy.Id}", other)).Status);
        Assert.Equal(204, (await Delete($"/api/v1/products/{product.Id}", vendor)).Status);
        Assert.Equal(409, (await Post($"/api/v1/products/{product.Id}/policies", vendor, new { name = "Late" })).Status);
        Assert.Equal("Mine", (await Get($"/api/v1/policies/{policy.Id}", vendor)).As<PolicyDetails>().Name);
    }

    [Fact]
    public async Task a_patch_changes_what_it_sends_and_null_clears_what_may_be_null()
    {
        var (vendor, product) = await AProductWithEntitlements("export-pdf", "cloud-sync");
        var policy = await APolicy(vendor, product.Id, new { name = "Pro", duration = 31_536_000, maxMachines = 3, entitlements = new[] { "export-pdf" } });
        var url = $"/api/v1/policies/{policy.Id}";
        await Task.Delay(5);

        var changed = await Patch(url, vendor, new { duration = (long?)null, maxMachines = 5, leaseSeconds = 120, entitlements = new[] { "cloud-sync" } });

        Assert.Equal(200, changed.Status);
        var updated = changed.As<PolicyDetails>();
        Assert.Equal(("Pro", (long?)null, 5, 120, policy.CreatedAt), (updated.Name, updated.Duration, updated.MaxMachines, updated.LeaseSeconds, updated.CreatedAt));
        Assert.Equal(["cloud-sync"], updated.Entitlements);
        Assert.True(updated.UpdatedAt > policy.UpdatedAt);
        Assert.Equal(changed.Text, (await Get(url, vendor)).Text);
    }

    [Theory]
    [InlineData("""{"leaseSeconds": null}""", "leaseSeconds")]
    [InlineData("""{"maxBorrowSeconds": null}""", "maxBorrowSeconds")]
    [InlineData("""{"expirationBasis": null}""", "expirationBasis")]
    [InlineData("""{"trial": null}""", "trial")]
    [InlineData("""{"name": null}""", "name")]
    [InlineData("""{"maxMachines": 0}""", "maxMachines")]
    [InlineData("""{"entitlements": ["gone"]}""", "entitlements")]
    [InlineData("""{"entitlements": [null]}""", "entitlements")]
    [InlineData("""{"productId": "0193f0a1-4c82-7e6f-a023-9b7c4d8e5f60"}""", "productId")]
    public async Task a_bad_patch_is_400_naming_the_field_and_changes_nothing(string body, string field)
    {
        var (vendor, product) = await AProductWithEntitlements();
        var policy = await APolicy(vendor, product.Id, new { name = "Pro" });

        var response = await Send("PATCH", $"/api/v1/policies/{policy.Id}", vendor, body);

        Assert.Equal(400, response.Status);
        Assert.Equal([field], response.ErrorFields);
        Assert.Equal(policy.UpdatedAt, (await Get($"/api/v1/policies/{policy.Id}", vendor)).As<PolicyDetails>().UpdatedAt);
    }

    [Fact]
    public async Task a_deleted_policy_is_still_readable_is_left_out_of_lists_and_can_no_longer_change()
    {
        var (vendor, product) = await AProductWithEntitlements();
        var kept = await APolicy(vendor, product.Id, new { name = "Kept" });
        var policy = await APolicy(vendor, product.Id, new { name = "Old" });
        var url = $"/api/v1/policies/{policy.Id}";

        Assert.Equal(204, (await Delete(url, vendor)).Status);
        Assert.Equal(204, (await Delete(url, vendor)).Status);

        Assert.NotNull((await Get(url, vendor)).As<PolicyDetails>().DeletedAt);
        Assert.Equal([kept.Id], (await Get($"/api/v1/products/{product.Id}/policies", vendor)).As<List<PolicyDetails>>().Select(x => x.Id));
        Assert.Equal(409, (await Patch(url, vendor, new { name = "New" })).Status);
    }

    [Fact]
    public async Task a_product_lists_its_own_live_policies_newest_first_by_page()
    {
        var (vendor, product) = await AProductWithEntitlements();
        var other = await Read<ProductDetails>("POST", "/api/v1/products", vendor, AProduct("other"));
        var ids = new List<Guid>();
        for (var i = 0; i < 3; i++) ids.Add((await APolicy(vendor, product.Id, new { name = $"P{i}" })).Id);
        await APolicy(vendor, other.Id, new { name = "Elsewhere" });

        var first = (await Get($"/api/v1/products/{product.Id}/policies?limit=2", vendor)).AsPage<PolicyDetails>();
        var second = (await Get($"/api/v1/products/{product.Id}/policies?limit=2&cursor={first.Pagination.NextCursor}", vendor)).AsPage<PolicyDetails>();

        Assert.Equal([ids[2], ids[1]], first.Data.Select(x => x.Id));
        Assert.True(first.Pagination.HasMore);
        Assert.Equal([ids[0]], second.Data.Select(x => x.Id));
        Assert.False(second.Pagination.HasMore);
        Assert.Equal(400, (await Get($"/api/v1/products/{product.Id}/policies?limits=2", vendor)).Status);
    }

    [Fact]
    public async Task an_entitlement_a_live_policy_grants_cannot_be_deleted_until_the_policy_is()
    {
        var (vendor, product) = await AProductWithEntitlements("export-pdf");
        var entitlement = (await Get("/api/v1/entitlements", vendor)).As<List<EntitlementDetails>>().Single();
        var policy = await APolicy(vendor, product.Id, new { name = "Pro", entitlements = new[] { "export-pdf" } });

        var refused = await Delete($"/api/v1/entitlements/{entitlement.Id}", vendor);
        await Delete($"/api/v1/policies/{policy.Id}", vendor);
        var deleted = await Delete($"/api/v1/entitlements/{entitlement.Id}", vendor);

        Assert.Equal(409, refused.Status);
        Assert.Contains("Pro", refused.Detail);
        Assert.Equal(204, deleted.Status);
    }

    [Fact]
    public async Task a_policy_cannot_name_another_accounts_entitlement()
    {
        var (vendor, product) = await AProductWithEntitlements();
        var (other, _) = await AProductWithEntitlements("export-pdf");

        var response = await Post($"/api/v1/products/{product.Id}/policies", vendor, new { name = "Pro", entitlements = new[] { "export-pdf" } });

        Assert.Equal(400, response.Status);
        Assert.Equal(["entitlements"], response.ErrorFields);
        Assert.Single((await Get("/api/v1/entitlements", other)).As<List<EntitlementDetails>>());
    }

    /// <summary>
    /// A grant and a deletion of the same entitlement at once: the policy is refused (the code is gone) or the deletion
    /// is (the policy grants it), never both done, which would leave a policy granting a code that no longer exists.
    /// </summary>
    [Fact]
    public async Task an_entitlement_deleted_while_a_policy_grants_it_is_never_both_deleted_and_granted()
    {
        var (vendor, product) = await AProductWithEntitlements();
        for (var round = 0; round < 10; round++)
        {
            var code = $"race-{round}";
            var entitlement = (await Post("/api/v1/entitlements", vendor, new { code, name = code })).As<EntitlementDetails>();

            var granting = Post($"/api/v1/products/{product.Id}/policies", vendor, new { name = code, entitlements = new[] { code } });
            var deleting = Delete($"/api/v1/entitlements/{entitlement.Id}", vendor);
            var (granted, deleted) = (await granting, await deleting);

            Assert.True(granted.Status == 201 ^ deleted.Status == 204, $"round {round}: policy {granted}, delete {deleted}");
            Assert.Contains(granted.Status, new[] { 201, 400 });
            Assert.Contains(deleted.Status, new[] { 204, 409 });
        }
    }

    [Fact]
    public async Task reading_takes_products_read_and_changing_takes_products_write()
    {
        var (vendor, product) = await AProductWithEntitlements();
        var policy = await APolicy(vendor, product.Id, new { name = "Pro" });
        var reader = await AKeyFor(vendor.AccountId, Scopes.ProductsRead);
        var licenses = await AKeyFor(vendor.AccountId, Scopes.LicensesRead, Scopes.LicensesWrite);

        Assert.Equal(200, (await Get($"/api/v1/policies/{policy.Id}", reader)).Status);
        Assert.Equal(200, (await Get($"/api/v1/products/{product.Id}/policies", reader)).Status);
        Assert.Equal(403, (await Post($"/api/v1/products/{product.Id}/policies", reader, new { name = "More" })).Status);
        Assert.Equal(403, (await Patch($"/api/v1/policies/{policy.Id}", reader, new { name = "Mine" })).Status);
        Assert.Equal(403, (await Delete($"/api/v1/policies/{policy.Id}", reader)).Status);
        Assert.Equal(403, (await Get($"/api/v1/policies/{policy.Id}", licenses)).Status);
        Assert.Equal(401, (await Get($"/api/v1/policies/{policy.Id}", null)).Status);
        var writer = await AKeyFor(vendor.AccountId, Scopes.ProductsWrite);
        Assert.Equal(403, (await Get($"/api/v1/policies/{policy.Id}", writer)).Status);
        Assert.Equal(403, (await Get($"/api/v1/products/{product.Id}/policies", writer)).Status);
        var license = await Read<Catalog.Licenses.LicenseDetails>("POST", $"/api/v1/products/{product.Id}/licenses", vendor, new { });
        var asLicense = await Send("GET", $"/api/v1/policies/{policy.Id}", null, configure: r => r.Headers.Authorization = "License " + license.Key);
        Assert.Equal(401, asLicense.Status);
    }

    [Fact]
    public async Task creating_changing_and_deleting_are_events_in_the_log()
    {
        var (vendor, product) = await AProductWithEntitlements();
        var policy = await APolicy(vendor, product.Id, new { name = "Pro", maxMachines = 3 });
        await Patch($"/api/v1/policies/{policy.Id}", vendor, new { maxMachines = 5 });
        await Delete($"/api/v1/policies/{policy.Id}", vendor);

        var log = (await Get("/api/v1/events?limit=100", vendor)).As<List<EventLogEntry>>().Where(x => x.StreamId == policy.Id).ToList();

        Assert.Equal([PublicEvents.PolicyCreatedName, PublicEvents.PolicyUpdatedName, PublicEvents.PolicyDeletedName], log.Select(x => x.Type));
        Assert.Equal(5, log[1].Data.GetProperty("terms").GetProperty("maxMachines").GetInt32());
        Assert.Equal(product.Id, log[2].Data.GetProperty("productId").GetGuid());
    }
}

public class when_changing_a_policy
{
    private static readonly Policy Pro = Policy.Create(new PolicyCreated(Guid.CreateVersion7(), Guid.CreateVersion7(), "Pro",
        PolicyTerms.Default with { MaxMachines = 3, Entitlements = ["export-pdf"] }, [], Given.Now.AddDays(-3)));

    private static UpdatePolicy Change(Optional<int?> maxMachines = default, Optional<List<string?>> entitlements = default) =>
        new(default, default, default, maxMachines, default, default, default, default, default, default, default, entitlements, default);

    [Fact]
    public void the_same_values_append_nothing()
    {
        var (shown, events) = UpdatePolicyEndpoint.Patch(Change(maxMachines: new(true, 3), entitlements: new(true, ["EXPORT-PDF"])), Pro,
            new NamedEntitlements(["EXPORT-PDF"], ["export-pdf"]), Given.Clock);

        Assert.Empty(events);
        Assert.Equal(Pro.UpdatedAt, shown.Data.UpdatedAt);
    }

    [Fact]
    public void other_entitlements_are_a_change()
    {
        var (_, events) = UpdatePolicyEndpoint.Patch(Change(entitlements: new(true, ["cloud-sync", "export-pdf"])), Pro,
            new NamedEntitlements(["cloud-sync", "export-pdf"], ["cloud-sync", "export-pdf"]), Given.Clock);

        Assert.Equal(["cloud-sync", "export-pdf"], Assert.IsType<PolicyUpdated>(Assert.Single(events)).Terms.Entitlements);
    }

    [Fact]
    public void a_new_value_is_an_event_with_all_the_terms_and_the_rest_kept()
    {
        var (shown, events) = UpdatePolicyEndpoint.Patch(Change(maxMachines: new(true, null)), Pro, NamedEntitlements.None, Given.Clock);

        var updated = Assert.IsType<PolicyUpdated>(Assert.Single(events));
        Assert.Null(updated.Terms.MaxMachines);
        // Everything else as it was (the entitlements compared apart: a record compares lists by reference).
        Assert.Equal(Pro.Terms with { MaxMachines = null, Entitlements = [] }, updated.Terms with { Entitlements = [] });
        Assert.Equal(["export-pdf"], updated.Terms.Entitlements);
        Assert.Equal((Pro.ProductId, Given.Now), (updated.ProductId, shown.Data.UpdatedAt));
    }

    [Fact]
    public void entitlements_sent_are_replaced_whole_by_those_the_account_has()
    {
        var (_, events) = UpdatePolicyEndpoint.Patch(Change(entitlements: new(true, ["CLOUD-SYNC"])), Pro,
            new NamedEntitlements(["CLOUD-SYNC"], ["cloud-sync"]), Given.Clock);

        Assert.Equal(["cloud-sync"], Assert.IsType<PolicyUpdated>(Assert.Single(events)).Terms.Entitlements);
    }
}
