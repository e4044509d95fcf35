using System.Diagnostics;
using Catalog.Products;
using Marten;
using Weasel.Core;

// Seeds many products for one account through Marten's bulk-insert (COPY) path, for the deep-page benchmark:
// read models only, as a page of a list reads them. Usage: Seeder <connection string> <accountId> <count>.
// Prints, as its last line, the cursor of the last page in newest-first order.
var (connection, account, count) = (args[0], Guid.Parse(args[1]), int.Parse(args[2]));

using var store = DocumentStore.For(options =>
{
    options.Connection(connection);
    options.DatabaseSchemaName = "catalog";
    options.AutoCreateSchemaObjects = JasperFx.AutoCreate.None;
    options.Events.TenancyStyle = JasperFx.MultiTenancy.TenancyStyle.Conjoined;
    options.ConfigureProducts();
});

var watch = Stopwatch.StartNew();
var start = DateTimeOffset.UtcNow.AddDays(-30);
Guid? cursor = null;
const int batch = 50_000;
for (var offset = 0; offset < count; offset += batch)
{
    var products = Enumerable.Range(offset, Math.Min(batch, count - offset)).Select(i =>
    {
        var at = start.AddMilliseconds(i);
        var id = Guid.CreateVersion7(at);
        if (i == 25) cursor = id; // the 26th oldest: the page after it holds the 25 oldest
        return new Product(id, account, $"Seeded {i}", $"seed-{i}", null, "SEED", 0, at, at, null, []);
    }).ToList();
    await store.BulkInsertDocumentsAsync(account.ToString(), products, BulkInsertMode.InsertsOnly, batchSize: 10_000);
}
Console.Error.WriteLine($"seeded {count} products in {watch.Elapsed.TotalSeconds:F1} s");
Console.WriteLine(cursor);
