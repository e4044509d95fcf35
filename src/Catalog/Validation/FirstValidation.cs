using Catalog.Conventions;
using Catalog.Http;
using Catalog.Entitlements;
using Catalog.Licenses;
using Catalog.Policies;

namespace Catalog.Validation;

/// <summary>
/// A license whose clock waits for its first validation starts it here: a write inside a read, once per license. The
/// read that found it needs no lock; the start is decided again under the license stream's lock in a write session of
/// its own, so of N concurrent first validations exactly one sets the expiry. Any validation that finds the license
/// usable, of the product asked about, starts it (whatever it then answers about a machine or entitlements).
/// </summary>
public static class FirstValidation
{
    public static async Task<LicenseConsulted?> StartClock(LicenseConsulted? found, ValidationQuestion question, IDocumentStore store,
        string tenant, TimeProvider time, CancellationToken token)
    {
        var now = time.UtcNow();
        if (found is not { License: { ClockPending: true } license, Policy: { } policy } || LicensedProduct.Mismatches(found.Product, question.ProductCode)
            || license.UnusableBecause(found.Product, now) is not null
            || LicenseClock.StartAt(ExpirationBasis.FirstValidation, license, policy, now) is null)
            return found;

        // A first activation, change or usage racing this one may start the license's stream meanwhile: this start then
        // loses with a collision, and is decided again on the stream it finds. Validation itself always answers.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var session = store.LightweightSession(tenant);
                var (stream, _, locked) = await LicenseStream.Lock(session, license.Id, token);
                var current = await session.LoadAsync<Policy>(policy.Id, token);
                if (locked is null || LicenseClock.StartAt(ExpirationBasis.FirstValidation, locked, current, now) is not { } started)
                    return found with { License = locked ?? license };
                stream.AppendOne(started);
                await session.SaveChangesAsync(token);
                return found with { License = locked.Apply(started), Policy = current };
            }
            catch (Exception e) when (Contention.IsContention(e) && attempt < Repeats.Attempts)
            {
            }
        }
    }

    private static readonly RetryOnContentionAttribute Contention = new();
}

/// <summary>The entitlements a validation asks about: codes, at most as many as a policy grants.</summary>
public static class AskedEntitlements
{
    public const string Description = "Entitlement codes the license must grant (compared ignoring case): else ENTITLEMENTS_MISSING.";

    public static void Check(ValidationErrors errors, IReadOnlyCollection<string?>? asked)
    {
        if (asked is null) return;
        if (asked.Count > NamedEntitlements.MaxCount) errors.Add("entitlements", $"must name at most {NamedEntitlements.MaxCount} entitlements");
        else if (asked.Any(x => x is null || !EntitlementRules.IsCode(x)))
            errors.Add("entitlements", "must hold entitlement codes: 1-50 characters of A-Z a-z 0-9 - _ .");
    }
}
