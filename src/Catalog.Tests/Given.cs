using Catalog.Entitlements;
using Catalog.Licenses;
using Catalog.Policies;
using Catalog.Products;

namespace Catalog.Tests;

/// <summary>
/// The states the pure decisions are tested in, named as the domain names them. Each is built by the same
/// functions the projections apply to the events, so a test starts from a state the service could really be in.
/// </summary>
public static class Given
{
    public static readonly DateTimeOffset Now = new(2026, 1, 10, 8, 0, 0, TimeSpan.Zero);

    /// <summary>A clock that always says <see cref="Now"/>, so a decision's timestamps are known.</summary>
    public sealed class StoppedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    public static readonly TimeProvider Clock = new StoppedClock(Now);

    /// <summary>Draws the keys it was given, in order: the key a decision issues is known.</summary>
    public sealed class DrawnKeys(params string[] keys) : LicenseKeys
    {
        private readonly Queue<string> _keys = new(keys);
        public override string Next(string prefix) => $"{prefix}-{_keys.Dequeue()}";
    }

    public static Product ADesktopProduct(string code = "desktop-app-pro") =>
        Product.Create(new ProductCreated(Guid.CreateVersion7(), Guid.CreateVersion7(), "Desktop App Pro", code,
            "Professional desktop application", "DSK", new() { ["category"] = JsonSerializer.SerializeToElement("productivity") },
            Now.AddDays(-30)));

    public static Product ADeletedProduct() =>
        ADesktopProduct().Apply(new ProductDeleted(Guid.Empty, Now.AddDays(-1))) with { };

    public static License AnActiveLicenseOf(Product product, DateTimeOffset? expiresAt = null) =>
        License.Create(new LicenseIssued(Guid.CreateVersion7(), product.Id, "DSK-A2B3-C4D5-E6F7-G8H9", expiresAt, [], Now.AddDays(-10)));

    public static License ARevokedLicenseOf(Product product) =>
        AnActiveLicenseOf(product).Apply(new LicenseRevoked(Guid.Empty, product.Id, Now.AddDays(-2)));

    public static License ASuspendedLicenseOf(Product product) =>
        AnActiveLicenseOf(product).Apply(new LicenseSuspended(Guid.Empty, product.Id, Now.AddDays(-1)));

    /// <summary>An issuance under no policy, granting no entitlement of its own.</summary>
    public static readonly IssuanceTerms NoPolicy = new(null, NamedEntitlements.None);

    /// <summary>A policy of the product with these terms (by default: perpetual from creation, no limits).</summary>
    public static Policy APolicyOf(Product product, PolicyTerms? terms = null) =>
        Policy.Create(new PolicyCreated(Guid.CreateVersion7(), product.Id, "Pro", terms ?? PolicyTerms.Default, [], Now.AddDays(-20)));

    /// <summary>A license issued under the policy ten days ago, as issuance decides it, with these entitlements of its own.</summary>
    public static License ALicenseUnder(Policy policy, Product product, IssueLicense? command = null, params string[] ownEntitlements) =>
        License.Create(IssueLicenseEndpoint.Decide(command, product, new IssuanceTerms(policy, new NamedEntitlements(ownEntitlements, ownEntitlements)),
            "DSK-A2B3-C4D5-E6F7-G8H9", Now.AddDays(-10)));

    public static License ALicenseWithSeats(Product product, int maxMachines) =>
        AnActiveLicenseOf(product) with { MaxMachines = maxMachines };

    /// <summary>The license stream's seats with these fingerprints active, as its events build them.</summary>
    public static LicenseSeats SeatsTakenBy(License license, params string[] fingerprints)
    {
        var seats = new LicenseSeats { Id = license.Id };
        foreach (var fingerprint in fingerprints)
            seats.Apply(new MachineActivated(Guid.CreateVersion7(), license.Id, license.ProductId, fingerprint, null, [], Now.AddDays(-1)));
        return seats;
    }
}

/// <summary>Webhook endpoints in the states the delivery decisions meet.</summary>
public static class GivenEndpoints
{
    public static Catalog.Webhooks.WebhookEndpoint AHealthyEndpoint() =>
        new(Guid.CreateVersion7(), Guid.CreateVersion7(), "https://example.com/hooks", ["product.created"], "whsec_x", Given.Now.AddDays(-10), Slot: 0);

    public static Catalog.Webhooks.WebhookEndpoint AnEndpointFailingFor(TimeSpan failing) =>
        AHealthyEndpoint() with { FailingSince = Given.Now - failing };
}
