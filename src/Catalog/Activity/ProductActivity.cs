using System.Security.Cryptography;
using Catalog.Licenses;
using JasperFx.Events;
using Marten.Events.Projections;

namespace Catalog.Activity;

// A product's activity per UTC day (what the support console charts): activations, from the license streams'
// machine.activated events, and validations, which are reads and no event of their own: each node counts them in memory
// and records its counts as ValidationsCounted events (ValidationTally.cs). Both are projected, asynchronously, into
// one document per product and day, so the chart is the event store's, rebuilt with it, and costs a request nothing.

/// <summary>
/// What one node counted of a product's validations on one day since its last record. Internal: neither in the
/// public event log nor sent to webhooks (it names no change a subscriber acts on).
/// </summary>
public record ValidationsCounted(Guid ProductId, DateOnly Day, long Count, DateTimeOffset CountedAt);

/// <summary>A product's activations and validations on one UTC day.</summary>
public sealed class ProductActivity
{
    /// <summary>The product and the day: <c>{productId}:{yyyy-MM-dd}</c>.</summary>
    public string Id { get; set; } = "";
    public Guid ProductId { get; set; }
    public DateOnly Day { get; set; }
    public long Activations { get; set; }
    public long Validations { get; set; }

    public static string IdOf(Guid product, DateOnly day) => $"{product}:{day:yyyy-MM-dd}";

    public static DateOnly DayOf(DateTimeOffset at) => DateOnly.FromDateTime(at.UtcDateTime);

    /// <summary>
    /// The stream of a product's validation counts on one day: a name-based id (SHA-256 of the product and the day,
    /// RFC 9562 version 8), the same on every node, so that a day's counts gather in one stream.
    /// </summary>
    public static Guid StreamOf(Guid product, DateOnly day)
    {
        Span<byte> name = stackalloc byte[20];
        product.TryWriteBytes(name);
        BitConverter.TryWriteBytes(name[16..], day.DayNumber);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(name, hash);
        hash[6] = (byte)((hash[6] & 0x0F) | 0x80); // version 8
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80); // variant 10
        return new Guid(hash[..16], bigEndian: true);
    }
}

/// <summary>Folds activations and validation counts into the product's day (async: activations never wait for it).</summary>
public partial class ProductActivityProjection : MultiStreamProjection<ProductActivity, string>
{
    public ProductActivityProjection()
    {
        Identity<MachineActivated>(e => ProductActivity.IdOf(e.ProductId, ProductActivity.DayOf(e.ActivatedAt)));
        Identity<ValidationsCounted>(e => ProductActivity.IdOf(e.ProductId, e.Day));
    }

    public override ProductActivity Evolve(ProductActivity? snapshot, string id, IEvent e)
    {
        switch (e.Data)
        {
            case MachineActivated activated:
                snapshot ??= new ProductActivity { Id = id, ProductId = activated.ProductId, Day = ProductActivity.DayOf(activated.ActivatedAt) };
                snapshot.Activations++;
                break;
            case ValidationsCounted counted:
                snapshot ??= new ProductActivity { Id = id, ProductId = counted.ProductId, Day = counted.Day };
                snapshot.Validations += counted.Count;
                break;
        }
        return snapshot!;
    }
}
