using System;
using System.Threading;
using System.Threading.Tasks;

namespace Catalog.Licensing
{
    /// <summary>Waits on the configured clock, and the delays between retries.</summary>
    internal static class Timing
    {
        private static readonly object Gate = new object();
        private static readonly Random Random = new Random();

        public static Task Delay(TimeProvider time, TimeSpan delay, CancellationToken cancellationToken)
        {
            if (delay <= TimeSpan.Zero) return Task.CompletedTask;
#if NET
            return Task.Delay(delay, time, cancellationToken);
#else
            return time.Delay(delay, cancellationToken);
#endif
        }

        /// <summary>
        /// The wait before retry number <paramref name="failures"/> (1 for the first): exponential from
        /// <paramref name="min"/> to <paramref name="max"/>, with "equal jitter" (half fixed, half random) so that many
        /// installations failing together do not come back together; never shorter than the service's Retry-After, and
        /// never longer than <paramref name="max"/> (a Retry-After of hours would let every deadline pass).
        /// </summary>
        public static TimeSpan Backoff(int failures, TimeSpan min, TimeSpan max, TimeSpan? retryAfter)
        {
            var exponent = Math.Min(Math.Max(failures - 1, 0), 30);
            var ceiling = Math.Min(max.TotalMilliseconds, min.TotalMilliseconds * Math.Pow(2, exponent));
            double share;
            lock (Gate) share = Random.NextDouble();
            var wait = TimeSpan.FromMilliseconds(ceiling / 2 + share * ceiling / 2);
            if (retryAfter is { } asked && asked > wait) wait = asked;
            return wait > max ? max : wait;
        }
    }
}
