using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Catalog.Tests.Reliability;

public class RateLimitsAndHealth(AppFixture fixture) : ApiTest(fixture)
{
    [Fact]
    public async Task a_key_over_its_burst_is_429_with_retry_after_and_rate_limit_headers()
    {
        await Fixture.RestartAsync(builder =>
        {
            builder.UseSetting("RateLimit:PermitsPerSecond", "1");
            builder.UseSetting("RateLimit:Burst", "3");
        });
        try
        {
            await base.InitializeAsync();
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
        }
        finally
        {
            await Fixture.RestartAsync();
        }
    }

    [Fact]
    public async Task a_license_key_over_its_client_burst_is_429_and_other_license_keys_are_not_touched()
    {
        await Fixture.RestartAsync(builder =>
        {
            builder.UseSetting("RateLimit:ClientPermitsPerSecond", "1");
            builder.UseSetting("RateLimit:ClientBurst", "3");
        });
        try
        {
            await base.InitializeAsync();
            var vendor = await AClient();
            var product = (await CreateProduct(vendor)).GetProperty("id").GetString()!;
            var key = (await IssueLicense(vendor, product)).GetProperty("key").GetString()!;
            var otherKey = (await IssueLicense(vendor, product)).GetProperty("key").GetString()!;

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
        }
        finally
        {
            await Fixture.RestartAsync();
        }
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
        await Fixture.RestartAsync(builder =>
        {
            builder.UseSetting("RateLimit:AnonymousPermitsPerSecond", "1");
            builder.UseSetting("RateLimit:AnonymousBurst", "3");
        });
        try
        {
            await base.InitializeAsync();
            var client = await AClient();
            var unknown = new Client(client.AccountId, Guid.Empty, ApiKeySecret.Generate());

            var responses = new List<ApiResponse>();
            for (var i = 0; i < 10; i++)
                responses.Add(await Send("GET", "/api/v1/products", i % 2 == 0 ? null : unknown,
                    configure: r => r.Headers["X-Forwarded-For"] = $"203.0.113.{responses.Count}"));
            var withKey = await Get("/api/v1/products", client);
            var health = await Send("GET", "/health/ready", null);

            var statuses = responses.Select(x => x.Status).ToList();
            Assert.Equal([401, 401, 401], statuses.Take(3));
            Assert.All(statuses, x => Assert.Contains(x, new[] { 401, 429 }));
            var limited = responses.Last(x => x.Status == 429);
            Assert.Equal("3", limited.Headers["RateLimit-Limit"].ToString());
            Assert.True(int.Parse(limited.Headers.RetryAfter.ToString()) >= 1);
            Assert.Contains("without a valid API key", limited.Detail);
            Assert.Equal(200, withKey.Status); // a valid key has its own bucket
            Assert.Equal(200, health.Status);  // health is never limited
        }
        finally
        {
            await Fixture.RestartAsync();
        }
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

    [Fact]
    public async Task readiness_asks_the_database_at_most_once_a_second()
    {
        var probe = Host.Services.GetRequiredService<Catalog.Hosting.DatabaseHealthCheck>();
        var before = probe.Queries;
        var started = DateTime.UtcNow;

        for (var i = 0; i < 200; i++) Assert.Equal(200, (await Send("GET", "/health/ready", null)).Status);

        var allowed = (int)(DateTime.UtcNow - started).TotalSeconds + 1;
        Assert.InRange(probe.Queries - before, 1, allowed);
    }
}
