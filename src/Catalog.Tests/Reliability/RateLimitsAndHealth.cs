using Microsoft.AspNetCore.Hosting;

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
    public async Task health_answers_without_a_key()
    {
        var live = await Send("GET", "/health/live", null);
        var ready = await Send("GET", "/health/ready", null);

        Assert.Equal(200, live.Status);
        Assert.Equal(200, ready.Status);
        Assert.Equal("ok", ready.Json.GetProperty("checks").GetProperty("database").GetString());
    }
}
