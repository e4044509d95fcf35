using System.Collections.Concurrent;
using System.Diagnostics;

namespace Catalog.Tests.Validation;

/// <summary>
/// The hottest path reads everything it consults (license, product, policy with its entitlements, the machine asked
/// about) in one round trip to PostgreSQL. Counted as Npgsql traces them: one activity per command or batch sent,
/// inside the request's own activity.
/// </summary>
public class ValidationIsOneRoundTrip(AppFixture fixture) : ApiTest(fixture)
{
    /// <summary>The commands Npgsql sent for each request, by the request's route.</summary>
    private sealed class RoundTrips : IDisposable
    {
        private readonly ActivityListener _listener;
        public readonly ConcurrentQueue<(string? Route, string Command)> Sent = new();

        public RoundTrips()
        {
            _listener = new ActivityListener
            {
                ShouldListenTo = source => source.Name is "Npgsql" or "Microsoft.AspNetCore",
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
                ActivityStopped = activity =>
                {
                    if (activity.Source.Name != "Npgsql") return;
                    var root = activity;
                    while (root.Parent is not null) root = root.Parent;
                    if (root.OperationName == "Microsoft.AspNetCore.Hosting.HttpRequestIn")
                        Sent.Enqueue((root.GetTagItem("http.route") as string, activity.DisplayName));
                }
            };
            ActivitySource.AddActivityListener(_listener);
        }

        public int To(string route) => Sent.Count(x => x.Route == route);

        public void Dispose() => _listener.Dispose();
    }

    [Fact]
    public async Task validation_under_a_policy_with_entitlements_and_a_machine_is_one_round_trip()
    {
        var (vendor, product) = await AProductWithEntitlements("export-pdf", "sso");
        var policy = await APolicy(vendor, product.Id, new { name = "Pro", maxMachines = 3, entitlements = new[] { "export-pdf" } });
        var license = await IssueLicense(vendor, product.Id, new { policyId = policy.Id, entitlements = new[] { "sso" } });
        Assert.Equal(201, (await AsLicense("POST", "/api/v1/client/machines", license.Key, """{"fingerprint": "host-1"}""")).Status);
        var vendorAsks = JsonSerializer.Serialize(new { key = license.Key, fingerprint = "host-1", product = product.Code, entitlements = new[] { "export-pdf", "sso" } });
        var clientAsks = JsonSerializer.Serialize(new { fingerprint = "host-1", product = product.Code, entitlements = new[] { "export-pdf", "sso" } });
        // Once each first, so that the credentials are remembered, as they are on a service under load.
        await Send("POST", "/api/v1/licenses/validate", vendor, vendorAsks);
        await AsLicense("POST", "/api/v1/client/validate", license.Key, clientAsks);

        using var roundTrips = new RoundTrips();
        var byVendor = await Send("POST", "/api/v1/licenses/validate", vendor, vendorAsks);
        var byClient = await AsLicense("POST", "/api/v1/client/validate", license.Key, clientAsks);

        Assert.Equal("VALID", byVendor.Data.GetProperty("code").GetString());
        Assert.Equal("VALID", byClient.Data.GetProperty("code").GetString());
        Assert.True(roundTrips.To("/api/v1/licenses/validate") == 1, string.Join("; ", roundTrips.Sent));
        Assert.True(roundTrips.To("/api/v1/client/validate") == 1, string.Join("; ", roundTrips.Sent));
    }

    [Fact]
    public async Task a_get_by_id_is_one_round_trip_with_no_transaction()
    {
        var (vendor, license) = await ALicense();
        await Get($"/api/v1/products/{license.ProductId}", vendor); // the credentials remembered, as under load

        using var roundTrips = new RoundTrips();
        Assert.Equal(200, (await Get($"/api/v1/products/{license.ProductId}", vendor)).Status);
        Assert.Equal(200, (await Get($"/api/v1/licenses/{license.Id}", vendor)).Status);
        Assert.Equal(404, (await Get($"/api/v1/products/{Guid.CreateVersion7()}", vendor)).Status);

        // One command each: the load (a license without a policy reads none), no BEGIN, no COMMIT, no outbox.
        Assert.True(roundTrips.To("/api/v1/products/{id}") == 2, string.Join("; ", roundTrips.Sent));
        Assert.True(roundTrips.To("/api/v1/licenses/{id}") == 1, string.Join("; ", roundTrips.Sent));
    }
}
