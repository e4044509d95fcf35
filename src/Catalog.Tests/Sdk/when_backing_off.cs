using Catalog.Licensing;

namespace Catalog.Tests.Sdk;

/// <summary>Retries wait longer each time, up to a ceiling, with jitter, and never less than the service asked.</summary>
public class when_backing_off
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1), Minute = TimeSpan.FromMinutes(1);

    [Fact]
    public void each_wait_is_between_half_and_all_of_an_exponential_ceiling()
    {
        for (var failures = 1; failures <= 10; failures++)
        {
            var ceiling = Math.Min(60, Math.Pow(2, failures - 1));
            var wait = Timing.Backoff(failures, Second, Minute, null).TotalSeconds;
            Assert.InRange(wait, ceiling / 2, ceiling);
        }
    }

    [Fact]
    public void waits_are_jittered_so_that_installations_failing_together_do_not_retry_together()
    {
        var waits = Enumerable.Range(0, 50).Select(_ => Timing.Backoff(6, Second, Minute, null)).Distinct().Count();
        Assert.True(waits > 40, $"{waits} distinct waits of 50");
    }

    [Fact]
    public void a_retry_after_longer_than_the_backoff_is_waited_in_full_up_to_the_longest_wait()
    {
        Assert.Equal(TimeSpan.FromSeconds(40), Timing.Backoff(1, Second, Minute, TimeSpan.FromSeconds(40)));
        // A Retry-After of days would let every deadline pass (and overflow a timer): the longest wait bounds it.
        Assert.Equal(Minute, Timing.Backoff(1, Second, Minute, TimeSpan.FromDays(90)));
    }
}
