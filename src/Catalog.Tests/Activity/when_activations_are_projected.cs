using Catalog.Activity;
using Catalog.Licenses;

namespace Catalog.Tests.Activity;

public class when_activations_are_projected
{
    [Fact]
    public void the_projection_asks_for_machine_activations_only()
    {
        // Marten's daemon then reads only those from the event table, not every event the accounts write.
        Assert.Equal([typeof(MachineActivated)], new ProductActivationsProjection().IncludedEventTypes);
    }
}
