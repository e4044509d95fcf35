namespace Catalog.Conventions;

public static class Clock
{
    /// <summary>
    /// Now, in UTC, cut to whole milliseconds: the API shows timestamps to the millisecond, so what is stored
    /// is exactly what is shown and a value read back compares equal to the one written.
    /// </summary>
    public static DateTimeOffset UtcNow(this TimeProvider time) => time.GetUtcNow().ToMilliseconds();

    /// <summary>The same instant in UTC, cut to whole milliseconds, as the API shows it.</summary>
    public static DateTimeOffset ToMilliseconds(this DateTimeOffset value) =>
        new(value.UtcTicks - value.UtcTicks % TimeSpan.TicksPerMillisecond, TimeSpan.Zero);
}
