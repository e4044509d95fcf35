using Catalog.Licenses;
using JasperFx.Events;
using Marten.Events.Projections;

namespace Catalog.Activity;

// A product's activity per UTC day, what the support console charts: activations are the license streams'
// machine.activated events, projected here; validations are reads, with no event of their own (one per validation
// would multiply the event store by the hottest path's rate), counted in memory and recorded as counters beside
// them (ValidationTally.cs).

/// <summary>A product's activations on one UTC day.</summary>
public sealed class ProductActivations
{
    /// <summary>The product and the day: <c>{productId}:{yyyy-MM-dd}</c>.</summary>
    public string Id { get; set; } = "";
    public Guid ProductId { get; set; }
    public DateOnly Day { get; set; }
    public long Activations { get; set; }

    public static string IdOf(Guid product, DateOnly day) => $"{product}:{day:yyyy-MM-dd}";

    public static DateOnly DayOf(DateTimeOffset at) => DateOnly.FromDateTime(at.UtcDateTime);
}

/// <summary>Counts activations per product and day, asynchronously (activations never wait for it, and never for each other).</summary>
public partial class ProductActivationsProjection : MultiStreamProjection<ProductActivations, string>
{
    public ProductActivationsProjection()
    {
        Identity<MachineActivated>(e => ProductActivations.IdOf(e.ProductId, ProductActivations.DayOf(e.ActivatedAt)));
        // The daemon then reads only activations: Evolve takes any event, so nothing else tells Marten what it needs.
        IncludeType<MachineActivated>();
    }

    public override ProductActivations Evolve(ProductActivations? snapshot, string id, IEvent e)
    {
        var activated = (MachineActivated)e.Data;
        snapshot ??= new ProductActivations { Id = id, ProductId = activated.ProductId, Day = ProductActivations.DayOf(activated.ActivatedAt) };
        snapshot.Activations++;
        return snapshot;
    }
}
