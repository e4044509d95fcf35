using System.Security.Claims;
using Catalog.Accounts;
using Catalog.Conventions;
using Catalog.Http;
using Catalog.Licenses;

namespace Catalog.Usage;

/// <summary>Metered use decided on a license under its stream's lock (<see cref="LockedLicense"/>).</summary>
public static class Metering
{
    public static Task<LockedLicense> Lock(IDocumentSession session, Guid licenseId, CancellationToken token) =>
        LockedLicense.Take(session, licenseId, token, withProduct: true);

    /// <summary>Why the increment is refused (404, 403 for the client's unusable license, 409 past the limit), or none.</summary>
    public static ProblemDetails Refusal(LockedLicense locked, RecordUsage command, bool fromClient, DateTimeOffset now) =>
        locked.Refusal(license =>
            fromClient && UsageRules.ClientRefusal(command, license, locked.Product, now) is { } refused ? refused
            : UsageRules.Increment(command.Increment!.Value, license, locked.Policy, now).Refusal);

    /// <summary>Appends the increment (decided again on the same state: a pure function) and answers the new count.</summary>
    public static Resource<UsageDetails> Count(LockedLicense locked, RecordUsage command, DateTimeOffset now)
    {
        var counted = UsageRules.Increment(command.Increment!.Value, locked.License!, locked.Policy, now).Counted!;
        locked.Stream.AppendOne(counted);
        return new(UsageDetails.Of(locked.License!.Apply(counted), locked.Policy));
    }
}

[Tags("Usage")]
public static class RecordUsageEndpoint
{
    /// <summary>The body's own checks, before any lock is taken.</summary>
    public static ProblemDetails Before(RecordUsage? command) =>
        command?.Product is not null ? Problems.Validation("product", "is for the client endpoint: leave it out") : UsageRules.Check(command);

    public static Task<LockedLicense> LoadAsync(Guid id, IDocumentSession session, CancellationToken token) =>
        Metering.Lock(session, id, token);

    public static ProblemDetails Validate(RecordUsage command, LockedLicense metered, TimeProvider time) =>
        Metering.Refusal(metered, command, fromClient: false, time.UtcNow());

    /// <summary>
    /// Counts metered use from the vendor's back end, under the license stream's lock: exact under any concurrency, on
    /// any number of nodes. With an Idempotency-Key, a retried increment counts once.
    /// </summary>
    [WolverinePost("/api/v1/licenses/{id}/usage", OperationId = "recordUsage", Summary = "Count metered use of a license")]
    [Authorize(Scopes.LicensesWrite)]
    [RetryOnContention]
    [Refuses(409, "The license is revoked, or the increment would pass maxUses: `code` is USAGE_LIMIT_REACHED, and nothing is counted.")]
    public static Resource<UsageDetails> Post(RecordUsage command, LockedLicense metered, TimeProvider time) =>
        Metering.Count(metered, command, time.UtcNow());
}

[Tags("Client")]
public static class RecordThisUsageEndpoint
{
    /// <summary>Its product travels in the body: a query (say <c>?product=</c>) is refused, never taken for the check.</summary>
    public static ProblemDetails Before(HttpRequest request, RecordUsage? command) =>
        QueryParameters.Only(request.Query) is { Status: 400 } refused ? refused : UsageRules.Check(command);

    public static Task<LockedLicense> LoadAsync(ClaimsPrincipal user, IDocumentSession session, CancellationToken token) =>
        Metering.Lock(session, user.License(), token);

    public static ProblemDetails Validate(RecordUsage command, LockedLicense metered, TimeProvider time) =>
        Metering.Refusal(metered, command, fromClient: true, time.UtcNow());

    /// <summary>The software counts its own metered use with its license key. With an Idempotency-Key, a retry counts once.</summary>
    [WolverinePost("/api/v1/client/usage", OperationId = "recordThisUsage", Summary = "Count metered use (license key)")]
    [Authorize(CatalogClaims.LicenseKeyPolicy)]
    [RetryOnContention]
    [Refuses(403, "The license cannot be used: `code` is PRODUCT_MISMATCH, PRODUCT_DELETED, SUSPENDED or EXPIRED.")]
    [Refuses(409, "The increment would pass maxUses: `code` is USAGE_LIMIT_REACHED, and nothing is counted.")]
    public static Resource<UsageDetails> Post(RecordUsage command, LockedLicense metered, TimeProvider time) =>
        Metering.Count(metered, command, time.UtcNow());
}

[Tags("Usage")]
public static class ResetUsageEndpoint
{
    public static Task<LockedLicense> LoadAsync(Guid id, IDocumentSession session, CancellationToken token) =>
        Metering.Lock(session, id, token);

    public static ProblemDetails Validate([NotBody] LockedLicense metered, TimeProvider time) =>
        metered.Refusal(license => UsageRules.Reset(license, time.UtcNow()).Refusal);

    /// <summary>Sets the count back to 0 (a new billing period, say). Idempotent: a count of 0 stays 0, with no event.</summary>
    [WolverinePost("/api/v1/licenses/{id}/usage/reset", OperationId = "resetUsage", Summary = "Reset a license's metered use")]
    [Authorize(Scopes.LicensesWrite)]
    [RetryOnContention]
    [Refuses(409, "The license has been revoked.")]
    public static Resource<UsageDetails> Post([NotBody] LockedLicense metered, TimeProvider time)
    {
        var reset = UsageRules.Reset(metered.License!, time.UtcNow()).Reset;
        if (reset is not null) metered.Stream.AppendOne(reset);
        return new(UsageDetails.Of(reset is null ? metered.License! : metered.License!.Apply(reset), metered.Policy));
    }
}
