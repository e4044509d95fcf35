using Catalog.Health;
using Catalog.Http;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Catalog.Tests.Reliability;

public class RateLimitsAndHealth(AppFixture fixture) : ApiTest(fixture)
{
    [Fact]
    public async Task a_key_over_its_burst_is_429_with_retry_after_and_rate_limit_headers()
    {
        await WithSettings([("RateLimit:PermitsPerSecond", "1"), ("RateLimit:Burst", "3")], async () =>
        {
            var client = await AClient();
            var other = await AClient();

            // Ten requests in a row against a bucket of three that refills one a second: the first ones pass,
            // and the bucket runs dry long before ten seconds have passed.
            var responses = new List<ApiResponse>();
            for (var i = 0; i < 10; i++) responses.Add(await Get("/api/v1/products", client));
            var otherKey = await Get("/api/v1/products", other);
            var health = await Send("GET", "/health/live", client);

            var statuses = responses.Select(x => x.Status).ToList();
            Assert.Equal([200, 200, 200], statuses.Take(3));
            Assert.All(statuses, x => Assert.Contains(x, new[] { 200, 429 }));
            Assert.Contains(429, statuses);
            var last = responses.Last(x => x.Status == 429);
            Assert.Equal("application/problem+json", last.ContentType);
            Assert.True(int.Parse(last.Headers.RetryAfter.ToString()) >= 1);
            Assert.Equal("3", last.Headers["RateLimit-Limit"].ToString());
            Assert.Equal("0", last.Headers["RateLimit-Remaining"].ToString());
            Assert.True(int.Parse(last.Headers["RateLimit-Reset"].ToString()) >= 1);
            Assert.Equal(200, otherKey.Status); // the limit is per key
            Assert.Equal(200, health.Status);   // health is never limited
        });
    }

    [Fact]
    public async Task a_license_key_over_its_client_burst_is_429_and_other_license_keys_are_not_touched()
    {
        await WithSettings([("RateLimit:ClientPermitsPerSecond", "1"), ("RateLimit:ClientBurst", "3")], async () =>
        {
            var vendor = await AClient();
            var product = (await CreateProduct(vendor)).Id;
            var key = (await IssueLicense(vendor, product)).Key;
            var otherKey = (await IssueLicense(vendor, product)).Key;

            var statuses = new List<int>();
            for (var i = 0; i < 10; i++) statuses.Add((await AsLicense("GET", "/api/v1/client/license", key)).Status);
            var other = await AsLicense("GET", "/api/v1/client/license", otherKey);
            var limited = await AsLicense("GET", "/api/v1/client/license", key);

            Assert.Equal([200, 200, 200], statuses.Take(3));
            Assert.Contains(429, statuses);
            Assert.Equal(429, limited.Status);
            Assert.Contains("license key", limited.Detail);
            Assert.Equal("3", limited.Headers["RateLimit-Limit"].ToString());
            Assert.Equal(200, other.Status); // per license key
            Assert.Equal(200, (await Get("/api/v1/products", vendor)).Status); // the vendor's API key has its own bucket
        });
    }

    [Fact]
    public async Task health_answers_without_a_key()
    {
        var live = await Send("GET", "/health/live", null);
        var ready = await Send("GET", "/health/ready", null);

        Assert.Equal(200, live.Status);
        Assert.Equal(200, ready.Status);
        Assert.Equal("ok", ready.Json.GetProperty("checks").GetProperty("database").GetString());
    }

    [Fact]
    public async Task requests_without_a_valid_key_are_limited_per_client_address_and_a_forged_forward_does_not_escape()
    {
        await WithSettings([("RateLimit:AnonymousPermitsPerSecond", "1"), ("RateLimit:AnonymousBurst", "3")], async () =>
        {
            var client = await AClient();
            var unknown = new Client(client.AccountId, Guid.Empty, ApiKeySecret.Generate());
            // A key in use, as every client's is: this node has seen it valid, so it keeps its own bucket whatever
            // its address's bucket holds. (Its first request, before the node knew it, drew one of the address's three.)
            Assert.Equal(200, (await Get("/api/v1/products", client)).Status);

            var responses = new List<ApiResponse>();
            for (var i = 0; i < 10; i++)
                responses.Add(await Send("GET", "/api/v1/products", i % 2 == 0 ? null : unknown,
                    configure: r => r.Headers["X-Forwarded-For"] = $"203.0.113.{responses.Count}"));
            var withKey = await Get("/api/v1/products", client);
            var health = await Send("GET", "/health/ready", null);

            var statuses = responses.Select(x => x.Status).ToList();
            Assert.Equal([401, 401], statuses.Take(2));
            Assert.All(statuses, x => Assert.Contains(x, new[] { 401, 429 }));
            var limited = responses.Last(x => x.Status == 429);
            Assert.Equal("3", limited.Headers["RateLimit-Limit"].ToString());
            Assert.True(int.Parse(limited.Headers.RetryAfter.ToString()) >= 1);
            Assert.Contains("without a valid API key", limited.Detail);
            Assert.Equal(200, withKey.Status); // a valid key has its own bucket
            Assert.Equal(200, health.Status);  // health is never limited
        });
    }

    [Fact]
    public async Task a_flood_of_one_unknown_key_costs_the_database_next_to_nothing()
    {
        var directory = Host.Services.GetRequiredService<ApiKeyDirectory>();
        var unknown = new Client(Guid.Empty, Guid.Empty, ApiKeySecret.Generate());
        var before = directory.Lookups;
        var started = DateTime.UtcNow;

        for (var i = 0; i < 1000; i++) Assert.Equal(401, (await Get("/api/v1/products", unknown)).Status);

        // One lookup per 2 seconds at most (the memory of "unknown"), plus one for the start.
        var allowed = (int)((DateTime.UtcNow - started).TotalSeconds / ApiKeyDirectory.CacheFor.TotalSeconds) + 1;
        Assert.InRange(directory.Lookups - before, 1, Math.Max(allowed, 10));
    }

    /// <summary>
    /// The address's bucket is drawn before a credential the node does not remember is looked up: a flood of made-up
    /// keys, each different (so no memory of "unknown" helps), costs at most the address's allowance of lookups.
    /// </summary>
    [Fact]
    public async Task made_up_keys_cost_no_more_lookups_than_their_address_is_allowed()
    {
        await WithSettings([("RateLimit:AnonymousPermitsPerSecond", "1"), ("RateLimit:AnonymousBurst", "3")], async () =>
        {
            var apiKeys = Host.Services.GetRequiredService<ApiKeyDirectory>();
            var licenseKeys = Host.Services.GetRequiredService<Catalog.Licenses.LicenseKeyDirectory>();
            var before = apiKeys.Lookups + licenseKeys.Lookups;
            var started = DateTime.UtcNow;

            var statuses = new List<int>();
            for (var i = 0; i < 40; i++)
            {
                statuses.Add((await Get("/api/v1/products", new Client(Guid.Empty, Guid.Empty, ApiKeySecret.Generate()))).Status);
                statuses.Add((await AsLicense("GET", "/api/v1/client/license", MadeUpLicenseKey())).Status);
            }

            Assert.Equal([401, 401, 401], statuses.Take(3));
            Assert.All(statuses, x => Assert.Contains(x, new[] { 401, 429 }));
            Assert.True(statuses.Count(x => x == 429) > 60, string.Join(",", statuses));
            // The burst, then one a second at most.
            var allowed = 3 + (int)Math.Ceiling((DateTime.UtcNow - started).TotalSeconds) + 1;
            Assert.InRange(apiKeys.Lookups + licenseKeys.Lookups - before, 3, allowed);
        });
    }

    private static string MadeUpLicenseKey()
    {
        var random = System.Security.Cryptography.RandomNumberGenerator.GetString(Catalog.Licenses.LicenseKeys.Alphabet, 16);
        return $"ZZZ-{random[..4]}-{random[4..8]}-{random[8..12]}-{random[12..]}";
    }

    /// <summary>What a node remembers of keys, found or not, is bounded: made-up keys never make it grow past its capacity.</summary>
    [Fact]
    public async Task the_memory_of_keys_is_bounded()
    {
        await WithSettings([("RateLimit:RememberedCredentials", "20")], async () =>
        {
            var memory = Host.Services.GetRequiredService<Catalog.Http.CredentialCache>();
            for (var i = 0; i < 100; i++)
                Assert.Equal(401, (await Get("/api/v1/products", new Client(Guid.Empty, Guid.Empty, ApiKeySecret.Generate()))).Status);
            Assert.InRange(memory.Count, 1, 20);

            // A valid key still works, remembered or not.
            var client = await AClient();
            for (var i = 0; i < 3; i++) Assert.Equal(200, (await Get("/api/v1/products", client)).Status);
        });
    }

    /// <summary>
    /// Each license key has its bucket, and an account's license keys together have one more: an account of 10,000
    /// licenses cannot send 10,000 times one key's allowance. Other accounts' keys are untouched.
    /// </summary>
    [Fact]
    public async Task an_accounts_license_keys_together_are_limited_and_other_accounts_are_not_touched()
    {
        await WithSettings([("RateLimit:ClientAccountPermitsPerSecond", "1"), ("RateLimit:ClientAccountBurst", "5")], async () =>
        {
            var (vendor, first) = await ALicense();
            var product = first.ProductId;
            var keys = new List<string> { first.Key };
            for (var i = 0; i < 3; i++) keys.Add((await IssueLicense(vendor, product)).Key);
            var (_, stranger) = await ALicense();

            var responses = new List<ApiResponse>();
            for (var round = 0; round < 5; round++)
                foreach (var key in keys)
                    responses.Add(await AsLicense("GET", "/api/v1/client/license", key));
            var strangers = new[] { await AsLicense("GET", "/api/v1/client/license", stranger.Key), await AsLicense("GET", "/api/v1/client/license", stranger.Key) };

            Assert.All(responses, x => Assert.Contains(x.Status, new[] { 200, 429 }));
            var limited = responses.Where(x => x.Status == 429).ToList();
            Assert.True(limited.Count >= 8, string.Join(",", responses.Select(x => x.Status)));
            Assert.Contains("account's license keys together", limited[^1].Detail);
            Assert.Equal("5", limited[^1].Headers["RateLimit-Limit"].ToString());
            Assert.All(strangers, x => Assert.Equal(200, x.Status));
            Assert.Equal(200, (await Get("/api/v1/products", vendor)).Status); // the vendor's API key has its own bucket
        });
    }

    [Fact]
    public async Task readiness_asks_the_database_at_most_once_a_second()
    {
        var probe = Host.Services.GetRequiredService<Catalog.Health.DatabaseHealthCheck>();
        var before = probe.Queries;
        var started = DateTime.UtcNow;

        for (var i = 0; i < 200; i++) Assert.Equal(200, (await Send("GET", "/health/ready", null)).Status);

        var allowed = (int)(DateTime.UtcNow - started).TotalSeconds + 1;
        Assert.InRange(probe.Queries - before, 1, allowed);
    }
}
