using Catalog.Conventions;
using Catalog.Policies;

namespace Catalog.Licenses;

/// <summary>
/// When a license's clock starts. Under a policy whose basis is <c>creation</c> it starts at issuance; under
/// <c>firstActivation</c> or <c>firstValidation</c> the license waits (<see cref="License.ClockPending"/>, expiresAt
/// null) until that first event, and then expires the policy's <c>duration</c> later. Decided under the license
/// stream's lock, so that of N concurrent first events exactly one starts it.
/// </summary>
public static class LicenseClock
{
    /// <summary>The expiry a clock started now gives under this policy (null: perpetual).</summary>
    public static DateTimeOffset? ExpiryFrom(DateTimeOffset start, Policy? policy) =>
        policy?.Terms.Duration is { } seconds ? start.AddSeconds(seconds).ToMilliseconds() : null;

    /// <summary>
    /// The license.updated that starts the clock at this event (a basis name), or null when it is already running or waits
    /// for another event. The policy read now decides: a policy changed to <c>creation</c> starts a waiting clock at the next event.
    /// </summary>
    public static LicenseUpdated? StartAt(string basis, License license, Policy? policy, DateTimeOffset now) =>
        policy is not null && (policy.Terms.ExpirationBasis == basis || policy.Terms.ExpirationBasis == ExpirationBasis.Creation)
            ? StartOnUse(license, policy, now)
            : null;

    /// <summary>The start a use of any kind makes (a license file, which runs offline): whatever the basis, a waiting clock starts.</summary>
    public static LicenseUpdated? StartOnUse(License license, Policy? policy, DateTimeOffset now) =>
        license.ClockPending && license is { IsRevoked: false } && policy is not null
            ? (license with { ExpiresAt = ExpiryFrom(now, policy), ClockPending = false }).AsUpdate(now)
            : null;
}
