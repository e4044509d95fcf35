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
        tally.Count("a", Product);
        tally.Count("a", Product);
        tally.Count("b", Product);
        time.Advance(TimeSpan.FromMinutes(2)); // the next day
        tally.Count("a", Product);

        var taken = tally.Take();
        Assert.Equal([(Product, new DateOnly(2026, 12, 7), 2L), (Product, new DateOnly(2026, 12, 8), 1L)], taken["a"].OrderBy(x => x.Day));
        Assert.Equal([(Product, new DateOnly(2026, 12, 7), 1L)], taken["b"]);
        Assert.Empty(tally.Take());

        // What could not be recorded is recorded with the next counts.
        tally.PutBack("b", taken["b"]);
        tally.Count("b", Product);
        Assert.Equal(2L, tally.Take()["b"].Sum(x => x.Count));
    }

    [Fact]
    public void a_products_day_has_one_stream_the_same_on_every_node()
    {
        var day = new DateOnly(2026, 12, 7);
        Assert.Equal(ProductActivity.StreamOf(Product, day), ProductActivity.StreamOf(Product, day));
        Assert.NotEqual(ProductActivity.StreamOf(Product, day), ProductActivity.StreamOf(Product, day.AddDays(1)));
        Assert.NotEqual(ProductActivity.StreamOf(Product, day), ProductActivity.StreamOf(Guid.NewGuid(), day));
        Assert.Equal(8, ProductActivity.StreamOf(Product, day).Version);
    }
}
