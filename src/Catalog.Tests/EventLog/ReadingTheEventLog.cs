using Catalog.Conventions;
using Catalog.EventLog;
using Catalog.Products;

namespace Catalog.Tests.EventLog;

public class ReadingTheEventLog(AppFixture fixture) : ApiTest(fixture)
{
    [Fact]
    public async Task the_log_holds_every_change_oldest_first_with_public_names_and_payloads()
    {
        var client = await AClient();
        var product = await CreateProduct(client, new { name = "Logged", code = "logged", keyPrefix = "LOG" });
        var productId = product.Id;
        await Patch($"/api/v1/products/{productId}", client, new { name = "Renamed" });
        var license = await IssueLicense(client, productId);
        await Send("POST", $"/api/v1/licenses/{license.Id}/revoke", client);
        await Delete($"/api/v1/products/{productId}", client);

        var response = await Get("/api/v1/events", client);

        Assert.Equal(200, response.Status);
        var events = response.As<List<EventLogEntry>>();
        Assert.Equal(["product.created", "product.updated", "license.issued", "license.revoked", "product.deleted"],
            events.Select(x => x.Type));
        // The entry's fields, and its timestamps, as the wire writes them.
        var wire = response.Data.EnumerateArray().ToList();
        Assert.Equal(["sequence", "type", "streamId", "version", "occurredAt", "data"], wire[0].EnumerateObject().Select(x => x.Name));
        Assert.All(wire, x => Assert.Matches(Tests.Products.CreatingProducts.Timestamp, x.GetProperty("occurredAt").GetString()));
        // When each happened, by the real clock (the host's is stopped; the event store's is not), whether the stream was
        // started (the product) or appended to (the rest), on a database whose time zone is not UTC (scripts/test).
        Assert.All(events, x => Assert.InRange(x.OccurredAt, DateTimeOffset.UtcNow.AddMinutes(-10), DateTimeOffset.UtcNow.AddMinutes(1)));
        Assert.Equal(events.Select(x => x.Sequence).Order(), events.Select(x => x.Sequence));
        Assert.All(events, x => Assert.Equal(productId, x.StreamId));
        Assert.Equal([1L, 2, 3, 4, 5], events.Select(x => x.Version));

        // The payloads are the event records, written with the API's conventions (read strictly).
        var created = events[0].Data.Deserialize<ProductCreated>(ApiJson.Options)!;
        Assert.Equal("logged", created.Code);
        Assert.Equal("LOG", created.KeyPrefix);
        Assert.Equal(license.Key, events[2].Data.Deserialize<LicenseIssued>(ApiJson.Options)!.Key);
        Assert.DoesNotContain("Catalog.", response.Text);
        Assert.DoesNotContain("$type", response.Text);
    }

    [Fact]
    public async Task the_log_pages_by_sequence_and_filters_by_type()
    {
        var client = await AClient();
        for (var i = 0; i < 3; i++)
        {
            var productId = (await CreateProduct(client)).Id;
            await IssueLicense(client, productId);
        }

        var sequences = new List<long>();
        string? cursor = null;
        do
        {
            var page = await Get("/api/v1/events?limit=4" + (cursor is null ? "" : $"&cursor={cursor}"), client);
            var (entries, pagination) = page.AsPage<EventLogEntry>();
            sequences.AddRange(entries.Select(x => x.Sequence));
            cursor = pagination.NextCursor;
            if (cursor is not null) Assert.Equal(sequences[^1].ToString(), cursor);
        } while (cursor is not null);
        var issued = await Get("/api/v1/events?type=license.issued", client);

        Assert.Equal(6, sequences.Count);
        Assert.Equal(sequences.Order(), sequences);
        var issuedEntries = issued.As<List<EventLogEntry>>();
        Assert.Equal(3, issuedEntries.Count);
        Assert.All(issuedEntries, x => Assert.Equal("license.issued", x.Type));
    }

    [Fact]
    public async Task each_account_reads_only_its_own_events()
    {
        var acme = await AClient();
        var globex = await AClient();
        await CreateProduct(acme, AProduct("acme"));
        await CreateProduct(globex, AProduct("globex"));

        var response = await Get("/api/v1/events", globex);

        var only = Assert.Single(response.As<List<EventLogEntry>>());
        Assert.Equal("globex", only.Data.Deserialize<ProductCreated>(ApiJson.Options)!.Code);
    }

    [Theory]
    [InlineData("type=product.exploded", "type")]
    [InlineData("type=ProductCreated", "type")]
    [InlineData("cursor=abc", "cursor")]
    [InlineData("cursor=-1", "cursor")]
    [InlineData("limit=500", "limit")]
    [InlineData("since=1", "since")]
    public async Task bad_query_values_are_400(string query, string field)
    {
        var client = await AClient();

        var response = await Get("/api/v1/events?" + query, client);

        Assert.Equal(400, response.Status);
        Assert.Contains(field, response.ErrorFields);
    }

    [Fact]
    public async Task reading_the_log_needs_events_read()
    {
        var owner = await AClient();
        var limited = await AKeyFor(owner.AccountId, AllScopes.Where(x => x != Scopes.EventsRead).ToArray());

        var response = await Get("/api/v1/events", limited);

        Assert.Equal(403, response.Status);
        Assert.Contains(Scopes.EventsRead, response.Detail);
    }
}
