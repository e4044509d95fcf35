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
        Assert.Equal(204, (await AsLicense("DELETE", "/api/v1/client/machines/laptop", bought.License.Key)).Status);
        await ALicenseWithSeatsTakenBy(bought.Vendor, bought.License.ProductId, "elsewhere"); // another license's stream
        var stream = bought.License.Id;

        await Eventually(async () => Entries(await Get($"/api/v1/events?streamId={stream}", bought.Vendor)).Count == 3, "the license's three events");
        var all = Entries(await Get($"/api/v1/events?streamId={stream}", bought.Vendor));
        Assert.Equal(["machine.activated", "machine.activated", "machine.deactivated"], all.Select(x => x.Type));
        Assert.All(all, x => Assert.Equal(stream, x.StreamId));
        Assert.Equal([1L, 2L, 3L], all.Select(x => x.Version));

        var first = await Get($"/api/v1/events?streamId={stream}&limit=2", bought.Vendor);
        Assert.Equal(all.Take(2).Select(x => x.Sequence), Entries(first).Select(x => x.Sequence));
        var next = first.AsPage<EventLogEntry>().Pagination.NextCursor;
        Assert.Equal([all[2].Sequence], Entries(await Get($"/api/v1/events?streamId={stream}&cursor={next}", bought.Vendor)).Select(x => x.Sequence));
        // A cursor from the whole log (not one of this stream's events) means "after that sequence" too.
        Assert.Equal([all[2].Sequence], Entries(await Get($"/api/v1/events?streamId={stream}&cursor={all[2].Sequence - 1}", bought.Vendor)).Select(x => x.Sequence));
        Assert.Equal([all[2].Sequence], Entries(await Get($"/api/v1/events?streamId={stream}&type=machine.deactivated", bought.Vendor)).Select(x => x.Sequence));
    }

    [Fact]
    public async Task another_accounts_stream_or_a_narrow_scope_lists_nothing_and_bad_ids_are_400()
    {
        var bought = await ALicenseWithSeatsTaken(3, "laptop");
        var stream = bought.License.Id;
        await Eventually(async () => Entries(await Get($"/api/v1/events?streamId={stream}", bought.Vendor)).Count == 1, "the activation");

        Assert.Empty(Entries(await Get($"/api/v1/events?streamId={stream}", await AClient())));
        // License events need licenses:read.
        Assert.Empty(Entries(await Get($"/api/v1/events?streamId={stream}", await AKeyFor(bought.Vendor.AccountId, "events:read"))));
        foreach (var bad in new[] { "", "not-a-uuid" })
            Assert.Contains("streamId", (await Get($"/api/v1/events?streamId={bad}", bought.Vendor)).ErrorFields);
    }

    [SingleDatabaseFact]
    public async Task a_page_of_a_stream_reads_the_streams_own_index_from_the_cursor()
    {
        var bought = await ALicenseWithSeatsTaken(3, "laptop");
        await using var session = Store.QuerySession(bought.Vendor.AccountId.ToString());
        var plan = await PlanOf(ListEventsEndpoint.PageOfStream(session, bought.License.Id, PublicEvents.Types.ToArray(), cursor: 1, count: 101), analyze: true);
        Assert.Contains(plan, x => x.Contains("Index Scan using pk_mt_events_stream_and_version on mt_events e"));
        Assert.DoesNotContain(plan, x => x.Contains("Seq Scan on mt_events e"));
    }

    private async Task ALicenseWithSeatsTakenBy(Client vendor, Guid product, string fingerprint)
    {
        var license = await IssueLicense(vendor, product, new { maxMachines = 1 });
        Assert.Equal(201, (await AsLicense("POST", "/api/v1/client/machines", license.Key, JsonSerializer.Serialize(new { fingerprint }))).Status);
    }
}
