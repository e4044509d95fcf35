using Catalog.Licensing;

namespace Catalog.Tests.Sdk;

/// <summary>Every code the service's client endpoints and validation answer has its own typed value in the SDK.</summary>
public class when_reading_problems
{
    [Fact]
    public void every_refusal_code_of_the_service_is_typed()
    {
        string[] codes =
        [
            Catalog.Machines.MachineRules.MachineLimitReached, Catalog.Leases.LeaseRules.ConcurrencyLimitReached,
            Catalog.Usage.UsageRules.UsageLimitReached, "TRIAL_ALREADY_USED", "SUSPENDED", "EXPIRED", "REVOKED", "PRODUCT_DELETED",
            "PRODUCT_MISMATCH", "NOT_ACTIVATED", "HEARTBEAT_DEAD",
        ];
        var typed = codes.Select(code => Codes.Error(403, code)).ToList();
        Assert.DoesNotContain(LicensingErrorCode.Other, typed);
        Assert.Equal(codes.Length, typed.Distinct().Count());
    }

    [Fact]
    public void every_validation_code_of_the_service_is_typed()
    {
        var codes = typeof(Catalog.Licenses.ValidationCodes).GetFields().Where(x => x.IsLiteral).Select(x => (string)x.GetRawConstantValue()!).ToList();
        Assert.NotEmpty(codes);
        Assert.All(codes, code => Assert.NotEqual(ValidationCode.Unknown, Codes.Validation(code)));
        Assert.Equal(codes.Count, codes.Select(Codes.Validation).Distinct().Count());
    }

    [Theory]
    [InlineData(401, LicensingErrorCode.InvalidKey)]
    [InlineData(429, LicensingErrorCode.RateLimited)]
    [InlineData(408, LicensingErrorCode.Unreachable)]
    [InlineData(503, LicensingErrorCode.ServiceUnavailable)]
    [InlineData(400, LicensingErrorCode.InvalidRequest)]
    [InlineData(404, LicensingErrorCode.NotFound)]
    [InlineData(422, LicensingErrorCode.IdempotencyConflict)]
    [InlineData(418, LicensingErrorCode.Other)]
    public void a_status_without_a_code_is_typed_by_the_status(int status, LicensingErrorCode expected) =>
        Assert.Equal(expected, Codes.Error(status, null));
}
