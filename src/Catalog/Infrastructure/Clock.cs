namespace Catalog.Infrastructure;

public static class Clock
{
    /// <summary>
    /// Now, in UTC, cut to whole milliseconds: the API shows timestamps to the millisecond, so what is stored
    /// is exactly what is shown and a value read back compares equal to the one written.
    /// </summary>
    public static DateTimeOffset UtcNow(this TimeProvider time)
    {
        var now = time.GetUtcNow();
        return new DateTimeOffset(now.Ticks - now.Ticks % TimeSpan.TicksPerMillisecond, TimeSpan.Zero);
    }
}
