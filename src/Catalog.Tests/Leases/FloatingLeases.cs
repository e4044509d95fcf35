using Catalog.LicenseFiles;
using Catalog.Leases;
using Catalog.Licenses;
using Catalog.Machines;
using Catalog.Products;

namespace Catalog.Tests.Leases;

/// <summary>
/// Under a maxConcurrent rule, running software holds a lease: exactly maxConcurrent live at once, renewed before they
/// expire, released on exit, free at their expiry whether or not anything swept them. Time is moved by the service's clock.
/// </summary>
public class FloatingLeases(AppFixture fixture) : ApiTest(fixture)
{
    private sealed record Floating(Client Vendor, ProductDetails Product, LicenseDetails License);

    private async Task<Floating> AFloatingLicense(object policy, object? license = null)
    {
        var vendor = await AClient();
        var product = await CreateProduct(vendor);
        var created = await APolicy(vendor, product.Id, policy);
        var issued = await IssueLicense(vendor, product.Id, license ?? new { policyId = created.Id });
        return new(vendor, product, issued);
    }

    private Task<ApiResponse> Lease(Floating f, string? fingerprint = null, int? borrowSeconds = null, string? key = null) =>
        AsLicense("POST", "/api/v1/client/leases", key ?? f.License.Key,
            JsonSerializer.Serialize(new { fingerprint, borrowSeconds, product = f.Product.Code }));

    private Task<ApiResponse> Renew(Floating f, Guid lease, string? key = null) =>
        AsLicense("POST", $"/api/v1/client/leases/{lease}/renew", key ?? f.License.Key, JsonSerializer.Serialize(new { product = f.Product.Code }));

    private Task<ApiResponse> Release(Floating f, Guid lease, string? key = null) =>
        AsLicense("DELETE", $"/api/v1/client/leases/{lease}?product={f.Product.Code}", key ?? f.License.Key);

    private Task<ApiResponse> Activate(Floating f, string fingerprint) =>
        AsLicense("POST", "/api/v1/client/machines", f.License.Key, JsonSerializer.Serialize(new { fingerprint, product = f.Product.Code }));

    [Fact]
    public async Task a_lease_is_granted_renewed_and_released_and_its_slot_is_free_at_once()
    {
        var f = await AFloatingLicense(new { name = "Floating", maxConcurrent = 1, leaseSeconds = 300 });
        var granted = await Lease(f);
        Assert.True(granted.Status == 201, granted.ToString());
        var lease = granted.As<LeaseDetails>();
        Assert.Equal(f.License.Id, lease.LicenseId);
        Assert.Null(lease.MachineId);
        Assert.False(lease.Borrowed);
        Assert.Equal(lease.GrantedAt.AddSeconds(300), lease.ExpiresAt);
        Assert.False(granted.Data.TryGetProperty("file", out _));
        Assert.Equal($"/api/v1/leases/{lease.Id}", granted.Headers.Location.ToString());

        var full = await Lease(f);
        Assert.Equal(409, full.Status);
        Assert.Equal("CONCURRENCY_LIMIT_REACHED", full.Code);

        Fixture.Clock.Advance(TimeSpan.FromSeconds(200));
        var renewed = await Renew(f, lease.Id);
        Assert.True(renewed.Status == 200, renewed.ToString());
        Assert.True(renewed.As<LeaseDetails>().ExpiresAt > lease.ExpiresAt);
        Fixture.Clock.Advance(TimeSpan.FromSeconds(200)); // past the first expiry, within the renewed one
        Assert.Equal(409, (await Lease(f)).Status);
        var held = (await Get($"/api/v1/licenses/{f.License.Id}", f.Vendor)).As<LicenseDetails>();
        Assert.Equal(1, held.LeasesCount);
        Assert.Equal(1, held.MaxConcurrent);

        Assert.Equal(204, (await Release(f, lease.Id)).Status);
        Assert.Equal(404, (await Release(f, lease.Id)).Status);
        Assert.Equal(404, (await Renew(f, lease.Id)).Status);
        Assert.Equal(201, (await Lease(f)).Status);
        Assert.Single(await EventsOfType(f.Vendor, "lease.released"));
        Assert.Equal(2, (await EventsOfType(f.Vendor, "lease.granted")).Count);
        Assert.Empty(await EventsOfType(f.Vendor, "lease.expired")); // a renewal is no event, and none expired
        await ReadModelsAgreeWithTheEvents();
    }

    [Fact]
    public async Task an_expired_lease_frees_its_slot_at_its_expiry_and_is_recorded_expired_once()
    {
        var f = await AFloatingLicense(new { name = "Floating", maxConcurrent = 2, leaseSeconds = 60 });
        var first = (await Lease(f)).As<LeaseDetails>();
        Fixture.Clock.Advance(TimeSpan.FromSeconds(30));
        var second = (await Lease(f)).As<LeaseDetails>();
        Assert.Equal(409, (await Lease(f)).Status);

        Fixture.Clock.Advance(TimeSpan.FromSeconds(31)); // the first is past its expiry, the second is not
        var third = await Lease(f);
        Assert.True(third.Status == 201, third.ToString()); // its slot free at once, swept or not
        Assert.Equal(404, (await Renew(f, first.Id)).Status);
        var listed = (await Get($"/api/v1/licenses/{f.License.Id}/leases", f.Vendor)).AsPage<LeaseDetails>().Data;
        Assert.Equal([third.As<LeaseDetails>().Id, second.Id], listed.Select(x => x.Id).ToArray());

        await Eventually(async () => (await EventsOfType(f.Vendor, "lease.expired")).Count > 0, "the expiry recorded");
        await Task.Delay(2500); // more sweeps: none records it again
        var expired = Assert.Single(await EventsOfType(f.Vendor, "lease.expired"));
        Assert.Equal(first.Id, expired.Data.GetProperty("leaseId").GetGuid());
        Assert.Equal(first.ExpiresAt, expired.Data.GetProperty("expiredAt").GetDateTimeOffset());
        Assert.Equal(2, (await Get($"/api/v1/licenses/{f.License.Id}", f.Vendor)).As<LicenseDetails>().LeasesCount);
        await ReadModelsAgreeWithTheEvents();
    }

    [Fact]
    public async Task concurrent_lease_requests_get_exactly_max_concurrent_grants()
    {
        var f = await AFloatingLicense(new { name = "Floating", maxConcurrent = 25 });
        var answers = await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => Lease(f)));
        Assert.Equal(25, answers.Count(x => x.Status == 201));
        Assert.All(answers.Where(x => x.Status != 201), x => Assert.Equal("CONCURRENCY_LIMIT_REACHED", x.Code));
        Assert.Equal(25, (await EventsOfType(f.Vendor, "lease.granted")).Count);
        Assert.Equal(25, (await Get($"/api/v1/licenses/{f.License.Id}", f.Vendor)).As<LicenseDetails>().LeasesCount);
    }

    [Fact]
    public async Task under_a_seat_limit_a_lease_is_held_by_a_live_active_machine()
    {
        var f = await AFloatingLicense(new { name = "Seats", maxMachines = 2, maxConcurrent = 1, heartbeatSeconds = 60 });
        var missing = await Lease(f);
        Assert.Equal(400, missing.Status);
        Assert.Contains("fingerprint", missing.ErrorFields);
        var stranger = await Lease(f, "fp-unknown");
        Assert.Equal(403, stranger.Status);
        Assert.Equal("NOT_ACTIVATED", stranger.Code);

        var machine = (await Activate(f, "fp-1")).As<MachineDetails>();
        var lease = await Lease(f, "fp-1");
        Assert.True(lease.Status == 201, lease.ToString());
        Assert.Equal(machine.Id, lease.As<LeaseDetails>().MachineId);

        // A machine that missed its heartbeat holds no seat, and so takes no lease.
        Assert.Equal(204, (await Release(f, lease.As<LeaseDetails>().Id)).Status);
        Fixture.Clock.Advance(TimeSpan.FromSeconds(61));
        Assert.Equal("NOT_ACTIVATED", (await Lease(f, "fp-1")).Code);
    }

    [Fact]
    public async Task a_license_key_reaches_only_its_own_leases_and_a_narrow_vendor_key_cannot_end_them()
    {
        var f = await AFloatingLicense(new { name = "Floating", maxConcurrent = 5 });
        var other = await AFloatingLicense(new { name = "Floating", maxConcurrent = 5 });
        var lease = (await Lease(f)).As<LeaseDetails>();

        Assert.Equal(404, (await Renew(other, lease.Id)).Status);
        Assert.Equal(404, (await Release(other, lease.Id)).Status);
        Assert.Equal(404, (await Delete($"/api/v1/leases/{lease.Id}", other.Vendor)).Status);
        Assert.Equal(404, (await Get($"/api/v1/licenses/{f.License.Id}/leases", other.Vendor)).Status);
        var readOnly = await AKeyFor(f.Vendor.AccountId, "licenses:read");
        Assert.Equal(403, (await Delete($"/api/v1/leases/{lease.Id}", readOnly)).Status);
        Assert.Equal(200, (await Get($"/api/v1/licenses/{f.License.Id}/leases", readOnly)).Status);
        var mismatch = await AsLicense("POST", "/api/v1/client/leases", f.License.Key, JsonSerializer.Serialize(new { product = other.Product.Code }));
        Assert.Equal(403, mismatch.Status);
        Assert.Equal("PRODUCT_MISMATCH", mismatch.Code);

        // The vendor ends it: free at once, recorded as the vendor's.
        Assert.Equal(204, (await Delete($"/api/v1/leases/{lease.Id}", f.Vendor)).Status);
        Assert.Equal(404, (await Delete($"/api/v1/leases/{lease.Id}", f.Vendor)).Status);
        Assert.Equal("vendor", Assert.Single(await EventsOfType(f.Vendor, "lease.released")).Data.GetProperty("by").GetString());
        Assert.Empty((await Get($"/api/v1/licenses/{f.License.Id}/leases", f.Vendor)).AsPage<LeaseDetails>().Data);
    }

    [Fact]
    public async Task a_suspended_license_takes_and_renews_no_lease()
    {
        var f = await AFloatingLicense(new { name = "Floating", maxConcurrent = 5 });
        var lease = (await Lease(f)).As<LeaseDetails>();
        Assert.Equal(200, (await Post($"/api/v1/licenses/{f.License.Id}/suspend", f.Vendor, new { })).Status);
        Assert.Equal("SUSPENDED", (await Lease(f)).Code);
        Assert.Equal("SUSPENDED", (await Renew(f, lease.Id)).Code);
    }

    [Fact]
    public async Task a_borrowed_lease_carries_a_file_bound_to_the_machine_until_the_lease_ends()
    {
        var f = await AFloatingLicense(new { name = "Borrow", maxConcurrent = 1, maxBorrowSeconds = 7 * 86400, heartbeatSeconds = 300 });
        var machine = (await Activate(f, "laptop")).As<MachineDetails>();
        Assert.Contains("borrowSeconds", (await Lease(f, "laptop", borrowSeconds: 8 * 86400)).ErrorFields);
        Assert.Contains("fingerprint", (await Lease(f, borrowSeconds: 3600)).ErrorFields);

        var borrowed = await Lease(f, "laptop", borrowSeconds: 5 * 86400);
        Assert.True(borrowed.Status == 201, borrowed.ToString());
        var lease = borrowed.As<LeaseDetails>();
        Assert.True(lease.Borrowed);
        Assert.Equal(lease.GrantedAt.AddDays(5), lease.ExpiresAt);
        var verified = await Catalog.Tests.LicenseFiles.Jose.Verify(lease.File!,
            (await Get($"/api/v1/accounts/{f.Vendor.AccountId}/jwks.json", null)).Text, audience: f.Product.Code);
        Assert.True(verified.Valid, verified.Error);
        var claims = verified.Claims;
        Assert.Equal(lease.ExpiresAt.ToUnixTimeSeconds(), claims.GetProperty("exp").GetInt64());
        Assert.Equal(machine.Id, claims.GetProperty("machine").GetProperty("id").GetGuid());
        Assert.Equal(lease.Id, claims.GetProperty("lease").GetProperty("id").GetGuid());
        Assert.Equal(f.Product.Code, claims.GetProperty("aud").GetString());

        // Offline for days: no heartbeat, and the machine keeps its seat until the lease ends.
        Fixture.Clock.Advance(TimeSpan.FromDays(3));
        var validation = (await AsLicense("POST", "/api/v1/client/validate", f.License.Key,
            JsonSerializer.Serialize(new { fingerprint = "laptop", product = f.Product.Code }))).Data;
        Assert.Equal("VALID", validation.GetProperty("code").GetString());
        Assert.Equal(409, (await Lease(f)).Status);

        // Back early: returning the lease frees its slot.
        Assert.Equal(204, (await Release(f, lease.Id)).Status);
        Assert.Equal(201, (await Lease(f, "laptop")).Status);
    }

    [Fact]
    public async Task a_policy_without_borrowing_refuses_a_borrow()
    {
        var f = await AFloatingLicense(new { name = "NoBorrow", maxConcurrent = 1 });
        Assert.Equal(201, (await Activate(f, "fp")).Status);
        var refused = await Lease(f, "fp", borrowSeconds: 60);
        Assert.Equal(400, refused.Status);
        Assert.Contains("borrowSeconds", refused.ErrorFields);
    }
}
