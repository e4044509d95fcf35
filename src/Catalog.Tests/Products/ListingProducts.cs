using Catalog.Products;

namespace Catalog.Tests.Products;

public class ListingProducts(AppFixture fixture) : ApiTest(fixture)
{
    [Fact]
    public async Task a_list_item_has_exactly_the_fields_of_the_seed_pages_list_item()
    {
        var client = await AClient();
        // Created by hand: each field of the list item is compared with the create's answer as the bytes of the wire.
        var createdResponse = await Post("/api/v1/products", client, new { name = "Desktop App Pro", code = "desktop-app-pro", description = "d", keyPrefix = "DSK", metadata = new { category = "productivity" } });
        Assert.Equal(201, createdResponse.Status);
        var created = createdResponse.Data;

        var response = await Get("/api/v1/products?limit=25", client);

        Assert.Equal(200, response.Status);
        Assert.Equal(["data", "pagination"], response.Json.EnumerateObject().Select(x => x.Name));
        var item = Assert.Single(response.Data.EnumerateArray());
        Assert.Equal(
            ["id", "name", "code", "keyPrefix", "licensesCount", "createdAt", "updatedAt", "deletedAt", "metadata"],
            item.EnumerateObject().Select(x => x.Name));
        foreach (var field in item.EnumerateObject())
            Assert.Equal(created.GetProperty(field.Name).GetRawText(), field.Value.GetRawText());
        Assert.Equal("""{"nextCursor":null,"hasMore":false}""", response.Json.GetProperty("pagination").GetRawText());
    }

    [Fact]
    public async Task pages_walk_every_product_once_newest_first()
    {
        var client = await AClient();
        var ids = new List<Guid>();
        for (var i = 0; i < 5; i++) ids.Add((await CreateProduct(client)).Id);
        ids.Reverse();

        var walked = new List<Guid>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await Get("/api/v1/products?limit=2" + (cursor is null ? "" : $"&cursor={cursor}"), client);
            Assert.Equal(200, page.Status);
            pages++;
            var (products, pagination) = page.AsPage<ProductSummary>();
            var items = products.Select(x => x.Id).ToList();
            walked.AddRange(items);
            cursor = pagination.NextCursor;
            Assert.Equal(pagination.HasMore, cursor is not null);
            if (pagination.HasMore) Assert.Equal(items[^1].ToString(), cursor);
        } while (cursor is not null);

        Assert.Equal(ids, walked);
        Assert.Equal(3, pages);
    }

    [Fact]
    public async Task has_more_is_false_on_a_page_that_ends_exactly_at_the_last_product()
    {
        var client = await AClient();
        for (var i = 0; i < 4; i++) await CreateProduct(client);

        var first = await Get("/api/v1/products?limit=2", client);
        var second = await Get($"/api/v1/products?limit=2&cursor={first.AsPage<ProductSummary>().Pagination.NextCursor}", client);

        Assert.True(first.AsPage<ProductSummary>().Pagination.HasMore);
        Assert.Equal(2, second.Data.GetArrayLength());
        // The last page's pagination as the wire writes it: a null cursor, present.
        Assert.Equal("""{"nextCursor":null,"hasMore":false}""", second.Json.GetProperty("pagination").GetRawText());
    }

    [Fact]
    public async Task the_default_page_holds_25()
    {
        var client = await AClient();
        for (var i = 0; i < 26; i++) await CreateProduct(client);

        var page = await Get("/api/v1/products", client);

        var (products, pagination) = page.AsPage<ProductSummary>();
        Assert.Equal(25, products.Count);
        Assert.True(pagination.HasMore);
    }

    [Fact]
    public async Task deleted_products_are_left_out_and_their_ids_still_work_as_cursors()
    {
        var client = await AClient();
        var ids = new List<Guid>();
        for (var i = 0; i < 4; i++) ids.Add((await CreateProduct(client)).Id);
        ids.Reverse(); // newest first: ids[0] is the newest

        var first = await Get("/api/v1/products?limit=2", client);
        var cursor = first.AsPage<ProductSummary>().Pagination.NextCursor;
        Assert.Equal(ids[1].ToString(), cursor);
        await Delete($"/api/v1/products/{ids[1]}", client);
        await Delete($"/api/v1/products/{ids[3]}", client);

        var next = await Get($"/api/v1/products?limit=2&cursor={cursor}", client);

        Assert.Equal([ids[2]], next.As<List<ProductSummary>>().Select(x => x.Id));
        var all = await Get("/api/v1/products", client);
        Assert.Equal([ids[0], ids[2]], all.As<List<ProductSummary>>().Select(x => x.Id));
    }

    [Fact]
    public async Task products_created_during_a_walk_do_not_disturb_it()
    {
        var client = await AClient();
        var before = new List<Guid>();
        for (var i = 0; i < 6; i++) before.Add((await CreateProduct(client)).Id);

        var walked = new List<Guid>();
        string? cursor = null;
        do
        {
            var page = await Get("/api/v1/products?limit=2" + (cursor is null ? "" : $"&cursor={cursor}"), client);
            var (products, pagination) = page.AsPage<ProductSummary>();
            walked.AddRange(products.Select(x => x.Id));
            cursor = pagination.NextCursor;
            await CreateProduct(client); // someone else keeps creating
        } while (cursor is not null);

        Assert.Equal(before.AsEnumerable().Reverse(), walked);
    }

    [Theory]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=101", "limit")]
    [InlineData("limit=-1", "limit")]
    [InlineData("limit=abc", "limit")]
    [InlineData("limit=2.5", "limit")]
    [InlineData("limit=", "limit")]
    [InlineData("limit=1&limit=2", "limit")]
    [InlineData("cursor=not-a-uuid", "cursor")]
    [InlineData("cursor=1' OR '1'='1", "cursor")]
    [InlineData("sort=name", "sort")]
    public async Task unknown_or_out_of_range_query_values_are_400_naming_the_parameter(string query, string field)
    {
        var client = await AClient();

        var response = await Get("/api/v1/products?" + query, client);

        Assert.Equal(400, response.Status);
        Assert.Equal("application/problem+json", response.ContentType);
        Assert.Contains(field, response.ErrorFields);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(100)]
    public async Task limits_at_the_edges_are_accepted(int limit)
    {
        var client = await AClient();
        await CreateProduct(client);

        var response = await Get($"/api/v1/products?limit={limit}", client);

        Assert.Equal(200, response.Status);
        Assert.Equal(1, response.Data.GetArrayLength());
    }
}
