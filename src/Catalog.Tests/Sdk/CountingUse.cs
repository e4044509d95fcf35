using Catalog.Licensing;

namespace Catalog.Tests.Sdk;

/// <summary>A metered increment whose answer is lost is retried with its idempotency key, and counts once.</summary>
[Collection(ServiceCollection.Name)]
public class CountingUse(AppFixture fixture) : SdkTest(fixture)
{
    [Fact]
    public async Task an_increment_whose_answer_was_lost_is_retried_and_counted_once()
    {
        var licensed = await ALicensedProduct(new { name = "Metered", maxUses = 10 });
        var network = TheNetwork();
        var lost = 0;
        network.LoseAnswer = request => request.RequestUri!.AbsolutePath.EndsWith("/client/usage", StringComparison.Ordinal) &&
                                        Interlocked.Increment(ref lost) <= 2;
        var sdk = AnSdk(licensed, network, clock: new SdkClock(Fixture.Clock, speed: 100));

        var counted = await sdk.IncrementUsageAsync(3);
        Assert.True(counted.Succeeded, counted.ToString());
        Assert.Equal(3, counted.Value!.Uses);
        Assert.Equal(3, (await TheLicense(licensed)).Uses);
        var sent = network.Seen.Where(x => x.Path.EndsWith("/client/usage", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, sent.Count);
        Assert.Single(sent.Select(x => x.IdempotencyKey).Distinct());
        Assert.NotNull(sent[0].IdempotencyKey);

        // Each call is a new increment: a new key.
        Assert.Equal(4, (await sdk.IncrementUsageAsync()).Value!.Uses);
        Assert.Equal(4, (await TheLicense(licensed)).Uses);
    }
}
