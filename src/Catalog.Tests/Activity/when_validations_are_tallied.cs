using Catalog.Activity;

namespace Catalog.Tests.Activity;

public class when_validations_are_tallied
{
    private static readonly Guid Product = Guid.NewGuid();

    [Fact]
    public void each_account_product_and_day_is_counted_and_taken_once()
    {
        var time = new MovableClock();
        time.Advance(new DateTimeOffset(2026, 12, 7, 23, 59, 0, TimeSpan.Zero) - time.GetUtcNow()); // a minute before midnight, give or take the test's own time
        var tally = new ValidationTally(time);
        tally.Count("a", Product, time.GetUtcNow());
        tally.Count("a", Product, time.GetUtcNow());
        tally.Count("b", Product, time.GetUtcNow());
        time.Advance(TimeSpan.FromMinutes(2)); // the next day
        tally.Count("a", Product, time.GetUtcNow());

        var taken = tally.Take();
        Assert.Equal([(Product, new DateOnly(2026, 12, 7), 2L), (Product, new DateOnly(2026, 12, 8), 1L)], taken["a"].OrderBy(x => x.Day));
        Assert.Equal([(Product, new DateOnly(2026, 12, 7), 1L)], taken["b"]);
        Assert.Empty(tally.Take());

        // What could not be recorded is recorded with the next counts.
        tally.PutBack("b", taken["b"]);
        tally.Count("b", Product, time.GetUtcNow());
        Assert.Equal(2L, tally.Take()["b"].Sum(x => x.Count));
    }

    [Fact]
    public void a_past_days_counter_is_let_go_once_taken_and_a_late_count_starts_a_new_one()
    {
        var time = new MovableClock();
        var tally = new ValidationTally(time);
        tally.Count("a", Product, time.GetUtcNow());
        time.Advance(TimeSpan.FromDays(1));
        Assert.Equal(1L, tally.Take()["a"].Single().Count);
        // A count put back for that day after it was let go is recorded with the next pass, not lost.
        tally.PutBack("a", [(Product, ProductActivations.DayOf(time.GetUtcNow().AddDays(-1)), 5L)]);
        Assert.Equal(5L, tally.Take()["a"].Single().Count);
        Assert.Empty(tally.Take());
    }
}
