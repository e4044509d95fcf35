using Catalog.EventLog;
using Catalog.Licenses;

namespace Catalog.Tests.EventLog;

/// <summary>GET /api/v1/events?streamId=: one stream's events (a license's: what the support console shows of it).</summary>
public class TheLogOfAStream(AppFixture fixture) : ApiTest(fixture)
{
    private static List<EventLogEntry> Entries(ApiResponse page) => page.As<List<EventLogEntry>>();

    [Fact]
    public async Task a_licenses_stream_lists_its_own_events_in_order_in_pages()
    {
        var bought = await ALicenseWithSeatsTaken(3, "laptop", "desktop");
        var elsewhere = await ALicenseOf(bought.Vendor, bought.License.ProductId); // another license: another stream
        Assert.Equal(201, (await AsLicense("POST", "/api/v1/client/machines", elsewhere.Key, """{"fingerprint":"elsewhere"}""")).Status);
        Assert.Equal(204, (await AsLicense("DELETE", "/api/v1/client/machines/laptop", bought.License.Key)).Status);
        var stream = bought.License.Id;

        await Eventually(async () => Entries(await Get($"/api/v1/events?streamId={stream}", bought.Vendor)).Count == 3, "the license's three events");
        var all = Entries(await Get($"/api/v1/events?streamId={stream}", bought.Vendor));
        Assert.Equal(["machine.activated", "machine.activated", "machine.deactivated"], all.Select(x => x.Type));
        Assert.All(all, x => Assert.Equal(stream, x.StreamId));
        Assert.Equal([1L, 2L, 3L], all.Select(x => x.Version));

        var first = await Get($"/api/v1/events?streamId={stream}&limit=2", bought.Vendor);
        Assert.Equal(all.Take(2).Select(x => x.Sequence), Entries(first).Select(x => x.Sequence));
        Assert.True(first.AsPage<EventLogEntry>().Pagination.HasMore);
        var last = await Get($"/api/v1/events?streamId={stream}&cursor={first.AsPage<EventLogEntry>().Pagination.NextCursor}", bought.Vendor);
        Assert.Equal([all[2].Sequence], Entries(last).Select(x => x.Sequence));
        Assert.False(last.AsPage<EventLogEntry>().Pagination.HasMore);
        // A cursor from the whole log (another stream's event, between this stream's second and third) means "after it" too.
        var between = Entries(await Get($"/api/v1/events?streamId={elsewhere.Id}", bought.Vendor)).Single().Sequence;
        Assert.InRange(between, all[1].Sequence + 1, all[2].Sequence - 1);
        Assert.Equal([all[2].Sequence], Entries(await Get($"/api/v1/events?streamId={stream}&cursor={between}", bought.Vendor)).Select(x => x.Sequence));
        // A product's stream: the product and its licenses' issue.
        Assert.Equal(["product.created", "license.issued", "license.issued"],
            Entries(await Get($"/api/v1/events?streamId={bought.License.ProductId}", bought.Vendor)).Select(x => x.Type));
    }

    [Fact]
    public async Task another_accounts_stream_lists_nothing_and_a_narrow_scope_a_type_or_a_bad_id_are_refused()
    {
        var bought = await ALicenseWithSeatsTaken(3, "laptop");
        var stream = bought.License.Id;
        await Eventually(async () => Entries(await Get($"/api/v1/events?streamId={stream}", bought.Vendor)).Count == 1, "the activation");

        Assert.Empty(Entries(await Get($"/api/v1/events?streamId={stream}", await AClient())));
        // Every stream holds license events, which need licenses:read.
        var narrow = await Get($"/api/v1/events?streamId={stream}", await AKeyFor(bought.Vendor.AccountId, "events:read"));
        Assert.Equal(403, narrow.Status);
        Assert.Contains("licenses:read", narrow.Detail);
        Assert.Contains("type", (await Get($"/api/v1/events?streamId={stream}&type=machine.activated", bought.Vendor)).ErrorFields);
        foreach (var bad in new[] { "", "not-a-uuid" })
            Assert.Contains("streamId", (await Get($"/api/v1/events?streamId={bad}", bought.Vendor)).ErrorFields);
    }

    [SingleDatabaseFact]
    public async Task a_page_of_a_long_stream_reads_at_most_101_entries_of_the_streams_own_index_from_the_cursor()
    {
        // A license of 301 events (its activation, then 300 uses) beside a neighbour's 300 more.
        var bought = await ALicenseWithSeatsTaken(3, "laptop");
        var neighbour = await ALicenseWithSeatsTaken(3, "other");
        for (var i = 0; i < 300; i++)
        {
            Assert.Equal(200, (await AsLicense("POST", "/api/v1/client/usage", bought.License.Key, """{"increment":1}""")).Status);
            Assert.Equal(200, (await AsLicense("POST", "/api/v1/client/usage", neighbour.License.Key, """{"increment":1}""")).Status);
        }
        await Eventually(async () => Entries(await Get($"/api/v1/events?streamId={bought.License.Id}&limit=100", bought.Vendor)).Count == 100, "a full page");
        var cursor = Entries(await Get($"/api/v1/events?streamId={bought.License.Id}&limit=100", bought.Vendor))[49].Sequence;

        foreach (var generic in new[] { false, true })
        {
            await using var session = Store.QuerySession(bought.Vendor.AccountId.ToString());
            var plan = await PlanOf(ListEventsEndpoint.PageOfStream(session, bought.License.Id, PublicEvents.Types.ToArray(), cursor, count: 101),
                analyze: true, generic);
            var what = $"{(generic ? "generic" : "custom")} plan:\n{string.Join("\n", plan)}";
            var scan = Assert.Single(plan, x => x.Contains(" on mt_events e "));
            Assert.True(scan.Contains("Index Scan using pk_mt_events_stream_and_version on mt_events e"), what);
            var read = System.Text.RegularExpressions.Regex.Match(scan, @"rows=(\d+) loops=(\d+)");
            Assert.True(int.Parse(read.Groups[1].Value) * int.Parse(read.Groups[2].Value) <= 101, what);
        }
    }

    private async Task<LicenseDetails> ALicenseOf(Client vendor, Guid product) => await IssueLicense(vendor, product, new { maxMachines = 1 });
}
