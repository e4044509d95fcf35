using Catalog.Conventions;
using Catalog.Entitlements;
using Catalog.Licenses;
using Catalog.Policies;
using License = Catalog.Licenses.License;

namespace Catalog.Validation;

/// <summary>
/// A license whose clock waits for its first validation starts it here: a write inside a read, once per license. The
/// read that found it needs no lock; the start is decided again under the license stream's lock in a session of its
/// own (validation's may read a standby), so of N concurrent first validations exactly one sets the expiry.
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

        await using var session = store.LightweightSession(tenant);
        var (stream, _, locked) = await LicenseStream.Lock(session, license.Id, token);
        var current = await session.LoadAsync<Policy>(policy.Id, token);
        if (locked is null || LicenseClock.StartAt(ExpirationBasis.FirstValidation, locked, current, now) is not { } started)
            return found with { License = locked ?? license };
        stream.AppendOne(started);
        await session.SaveChangesAsync(token);
        return found with { License = locked.Apply(started), Policy = current };
    }
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
