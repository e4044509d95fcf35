using System.Net;
using Catalog.Licensing;

namespace Catalog.Tests.Sdk;

/// <summary>Every problem the client endpoints answer reaches the software as a typed error, from real requests.</summary>
[Collection(ServiceCollection.Name)]
public class TypedErrors(AppFixture fixture) : SdkTest(fixture)
{
    [Fact]
    public async Task the_license_states_each_answer_their_own_code()
    {
        var network = TheNetwork();
        var licensed = await ALicensedProduct();
        var unknownKey = AnSdk(licensed with { License = licensed.License with { Key = "DSK-AAAA-BBBB-CCCC-DDDD" } }, network);
        var invalid = (await unknownKey.ActivateAsync()).Error!;
        Assert.Equal((LicensingErrorCode.InvalidKey, 401), (invalid.Code, invalid.Status));
        Assert.Equal(LicenseStatus.InvalidKey, (await unknownKey.CheckAsync()).Status);

        var expired = await ALicensedProduct(license: new { expiresAt = DateTimeOffset.UtcNow.AddHours(1) });
        Fixture.Clock.Advance(TimeSpan.FromHours(2));
        Assert.Equal(LicensingErrorCode.Expired, (await AnSdk(expired, network).ActivateAsync()).Error!.Code);
        Assert.Equal(LicenseStatus.Expired, (await AnSdk(expired, network).CheckAsync()).Status);
        Fixture.Clock.Reset();

        var suspended = await ALicensedProduct();
        await Post($"/api/v1/licenses/{suspended.License.Id}/suspend", suspended.Vendor, new { });
        Assert.Equal(LicensingErrorCode.Suspended, (await AnSdk(suspended, network).ActivateAsync()).Error!.Code);

        var deleted = await ALicensedProduct();
        Assert.Equal(204, (await Delete($"/api/v1/products/{deleted.ProductId}", deleted.Vendor)).Status);
        Assert.Equal(LicensingErrorCode.ProductDeleted, (await AnSdk(deleted, network).ActivateAsync()).Error!.Code);
        Assert.Equal(LicenseStatus.ProductDeleted, (await AnSdk(deleted, network).CheckAsync()).Status);
    }

    [Fact]
    public async Task limits_and_missing_machines_answer_their_own_code()
    {
        var network = TheNetwork();
        var trial = await ALicensedProduct(new { name = "Trial", trial = true, duration = 14 * 86400 });
        Assert.True((await AnSdk(trial, network, "laptop").ActivateAsync()).Succeeded);
        var second = await Post($"/api/v1/products/{trial.ProductId}/licenses", trial.Vendor, new { policyId = (await TheLicense(trial)).PolicyId });
        var secondTrial = trial with { License = second.As<Catalog.Licenses.LicenseDetails>() };
        Assert.Equal(LicensingErrorCode.TrialAlreadyUsed, (await AnSdk(secondTrial, network, "laptop").ActivateAsync()).Error!.Code);

        var floating = await ALicensedProduct(new { name = "Floating", maxConcurrent = 1, heartbeatSeconds = 60, maxBorrowSeconds = 3600 });
        var one = AnSdk(floating, network, "one");
        var two = AnSdk(floating, network, "two");
        await one.ActivateAsync();
        await two.ActivateAsync();
        var lease = (await one.AcquireLeaseAsync()).Value!;
        Assert.Equal(LicensingErrorCode.ConcurrencyLimitReached, (await two.AcquireLeaseAsync()).Error!.Code);
        var tooLong = (await one.AcquireLeaseAsync(TimeSpan.FromHours(2))).Error!;
        Assert.Equal(LicensingErrorCode.InvalidRequest, tooLong.Code);
        Assert.Contains("borrowSeconds", tooLong.Errors.Keys);
        Assert.True((await one.ReleaseLeaseAsync(lease.Id)).Succeeded);
        Assert.Equal(LicensingErrorCode.NotFound, (await one.RenewLeaseAsync(lease.Id)).Error!.Code);

        Assert.Equal(LicensingErrorCode.NotActivated, (await AnSdk(floating, network, "never-activated").HeartbeatAsync()).Error!.Code);
        Fixture.Clock.Advance(TimeSpan.FromSeconds(61));
        Assert.Equal(LicensingErrorCode.HeartbeatDead, (await two.HeartbeatAsync()).Error!.Code);
        Assert.Equal(LicenseStatus.HeartbeatDead, (await two.CheckAsync()).Status);

        var metered = await ALicensedProduct(new { name = "Metered", maxUses = 2 });
        var counter = AnSdk(metered, network);
        Assert.Equal(2, (await counter.IncrementUsageAsync(2)).Value!.Uses);
        var over = (await counter.IncrementUsageAsync()).Error!;
        Assert.Equal((LicensingErrorCode.UsageLimitReached, 409), (over.Code, over.Status));
    }

    [Fact]
    public async Task the_services_other_answers_are_typed_too()
    {
        var licensed = await ALicensedProduct(new { name = "Metered", maxUses = 100 });
        var network = TheNetwork();
        var sdk = AnSdk(licensed, network);

        var key = "usage-" + Guid.NewGuid().ToString("N");
        Assert.True((await sdk.IncrementUsageAsync(1, key)).Succeeded);
        Assert.Equal(LicensingErrorCode.IdempotencyConflict, (await sdk.IncrementUsageAsync(2, key)).Error!.Code);

        network.Fake = _ => Network.Json(HttpStatusCode.TooManyRequests, """{"title":"Too many requests","status":429}""",
            response => response.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(TimeSpan.FromSeconds(7)));
        var limited = (await sdk.HeartbeatAsync()).Error!;
        Assert.Equal((LicensingErrorCode.RateLimited, TimeSpan.FromSeconds(7), true), (limited.Code, limited.RetryAfter, limited.IsTransient));

        network.Fake = _ => Network.Json(HttpStatusCode.ServiceUnavailable, """{"title":"Busy","status":503}""");
        Assert.Equal(LicensingErrorCode.ServiceUnavailable, (await sdk.ActivateAsync()).Error!.Code);

        network.Fake = null;
        network.Down = true;
        var unreachable = (await sdk.ActivateAsync()).Error!;
        Assert.Equal((LicensingErrorCode.Unreachable, (int?)null, true), (unreachable.Code, unreachable.Status, unreachable.IsTransient));
    }
}
