namespace Catalog.Conventions;

public static class Clock
{
    /// <summary>Now in UTC, to the millisecond the API shows: what is stored is what is shown.</summary>
    public static DateTimeOffset UtcNow(this TimeProvider time) => time.GetUtcNow().ToMilliseconds();

    /// <summary>The same instant in UTC, cut to whole milliseconds, as the API shows it.</summary>
    public static DateTimeOffset ToMilliseconds(this DateTimeOffset value) =>
        new(value.UtcTicks - value.UtcTicks % TimeSpan.TicksPerMillisecond, TimeSpan.Zero);
}
