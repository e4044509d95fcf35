using System.Diagnostics;
using Catalog.Licenses;
using Catalog.Machines;
using Catalog.Products;
using Catalog.Webhooks;
using Marten;
using Weasel.Core;

// Seeds read models through Marten's bulk-insert (COPY) path, for the pages the benchmarks read: documents only,
// as a page of a list reads them. Ids are time-ordered (UUID v7) from 30 days ago, one millisecond apart.
//   Seeder <connection string> products   <account> <count>
//   Seeder <connection string> licenses   <account> <count> <product id>
//   Seeder <connection string> machines   <account> <count> <license id>
//   Seeder <connection string> deliveries <account> <count> <webhook endpoint id>
// Prints, as its last line, the cursor of the last page (newest first, 25 a page): the 26th oldest id.
var (connection, kind, account, count) = (args[0], args[1], Guid.Parse(args[2]), int.Parse(args[3]));
var parent = args.Length > 4 ? Guid.Parse(args[4]) : Guid.Empty;

using var store = DocumentStore.For(options =>
{
    options.Connection(connection);
    options.DatabaseSchemaName = "catalog";
    options.AutoCreateSchemaObjects = JasperFx.AutoCreate.None;
    options.Events.TenancyStyle = JasperFx.MultiTenancy.TenancyStyle.Conjoined;
    options.ConfigureProducts();
    options.ConfigureLicenses();
    options.ConfigureMachines(); // their own slice since issue 25: without it the machines went where no list reads them
    options.ConfigureWebhooks();
});

var watch = Stopwatch.StartNew();
var start = DateTimeOffset.UtcNow.AddDays(-30);
var tag = Guid.NewGuid().ToString("N")[..8]; // keys and codes unique across runs of the seeder
Guid? cursor = null;
const int batch = 50_000;
for (var offset = 0; offset < count; offset += batch)
{
    var range = Enumerable.Range(offset, Math.Min(batch, count - offset)).Select(i =>
    {
        var at = start.AddMilliseconds(i);
        var id = Guid.CreateVersion7(at);
        if (i == 25) cursor = id; // the 26th oldest: the page after it holds the 25 oldest
        return (i, at, id);
    }).ToList();
    var tenant = account.ToString();
    switch (kind)
    {
        case "products":
            await store.BulkInsertDocumentsAsync(tenant, range.Select(x =>
                new Product(x.id, account, $"Seeded {x.i}", $"seed-{tag}-{x.i}", null, "SEED", 0, x.at, x.at, null, [])), BulkInsertMode.InsertsOnly, 10_000);
            break;
        case "licenses":
            await store.BulkInsertDocumentsAsync(tenant, range.Select(x =>
                new License(x.id, parent, $"SEED-{tag}-{x.i}".ToUpperInvariant(), null, null, x.at, x.at, []) { AccountId = account }), BulkInsertMode.InsertsOnly, 10_000);
            break;
        case "machines":
            await store.BulkInsertDocumentsAsync(tenant, range.Select(x =>
                new Machine(x.id, parent, $"seed-{x.i}", null, [], x.at)), BulkInsertMode.InsertsOnly, 10_000);
            break;
        case "deliveries":
            // Attempted now, so that the purge of old delivery records leaves them alone.
            await store.BulkInsertDocumentsAsync(tenant, range.Select(x =>
                new WebhookDelivery(x.id, parent, Guid.CreateVersion7(x.at), "product.created", 1, DeliveryStatus.Succeeded, 200, DateTimeOffset.UtcNow)), BulkInsertMode.InsertsOnly, 10_000);
            break;
        default:
            throw new ArgumentException($"unknown kind {kind}: products, licenses, machines or deliveries");
    }
}
Console.Error.WriteLine($"seeded {count} {kind} in {watch.Elapsed.TotalSeconds:F1} s");
Console.WriteLine(cursor);
