using Catalog.Products;
using Marten;

namespace Catalog.Tests.Products;

public class ChangingProducts(AppFixture fixture) : ApiTest(fixture)
{
    [Fact]
    public async Task patch_changes_the_fields_sent_and_moves_updatedAt()
    {
        var client = await AClient();
        var product = await CreateProduct(client, new { name = "Old", code = "patched", description = "old", keyPrefix = "OLD", metadata = new { a = "1", b = "2" } });
        var url = $"/api/v1/products/{product.Id}";
        await Task.Delay(5); // so that the update lands on a later millisecond

        var response = await Patch(url, client, new { name = "New", keyPrefix = "NEW", metadata = new { c = 3 } });

        Assert.Equal(200, response.Status);
        var updated = response.As<ProductDetails>();
        Assert.Equal("New", updated.Name);
        Assert.Equal("old", updated.Description);
        Assert.Equal("NEW", updated.KeyPrefix);
        Assert.Equal("c", Assert.Single(updated.Metadata).Key); // replaced whole
        Assert.Equal("3", updated.Metadata["c"].GetRawText());
        Assert.Equal("patched", updated.Code);
        Assert.Equal(product.CreatedAt, updated.CreatedAt);
        Assert.True(updated.UpdatedAt > product.UpdatedAt, $"{updated.UpdatedAt:O} is not after {product.UpdatedAt:O}");

        var stored = await Get(url, client);
        Assert.Equal(response.Text, stored.Text);
    }

    [Fact]
    public async Task patch_with_null_description_clears_it_and_null_metadata_empties_it()
    {
        var client = await AClient();
        var product = await CreateProduct(client, new { name = "N", code = "clear", description = "d", metadata = new { a = 1 } });

        var response = await Patch($"/api/v1/products/{product.Id}", client, new { description = (string?)null, metadata = (object?)null });

        Assert.Equal(200, response.Status);
        // Present and null, not left out.
        Assert.Equal(JsonValueKind.Null, response.Data.GetProperty("description").ValueKind);
        Assert.Empty(response.As<ProductDetails>().Metadata);
    }

    [Fact]
    public async Task code_is_immutable_but_may_be_sent_unchanged()
    {
        var client = await AClient();
        var product = await CreateProduct(client, AProduct("fixed"));
        var url = $"/api/v1/products/{product.Id}";

        var changed = await Patch(url, client, new { code = "other" });
        var same = await Patch(url, client, new { code = "fixed", name = "Renamed" });

        Assert.Equal(400, changed.Status);
        Assert.Equal(["code"], changed.ErrorFields);
        Assert.Equal(200, same.Status);
        Assert.Equal("fixed", (await Get(url, client)).As<ProductDetails>().Code);
    }

    [Theory]
    [InlineData("""{"name":""}""", "name")]
    [InlineData("""{"name":null}""", "name")]
    [InlineData("""{"keyPrefix":"abc"}""", "keyPrefix")]
    [InlineData("""{"keyPrefix":null}""", "keyPrefix")]
    [InlineData("""{"name":"ok","description":5}""", "description")]
    [InlineData("""{"metadata":{"k":{"deep":true}}}""", "metadata.k")]
    [InlineData("""{"licensesCount":5}""", "licensesCount")]
    public async Task a_bad_patch_is_refused_whole_and_changes_nothing(string body, string field)
    {
        var client = await AClient();
        var product = await CreateProduct(client, AProduct("untouched"));
        var url = $"/api/v1/products/{product.Id}";
        var before = (await Get(url, client)).Text;

        var response = await Send("PATCH", url, client, body);

        Assert.Equal(400, response.Status);
        Assert.Contains(field, response.ErrorFields);
        Assert.Equal(before, (await Get(url, client)).Text);
    }

    [Fact]
    public async Task delete_is_soft_idempotent_and_keeps_the_product_readable()
    {
        var client = await AClient();
        var product = await CreateProduct(client, AProduct("doomed"));
        var url = $"/api/v1/products/{product.Id}";

        var first = await Delete(url, client);
        var second = await Delete(url, client);

        Assert.Equal(204, first.Status);
        Assert.Equal("", first.Text);
        Assert.Equal(204, second.Status);
        var deleted = await Get(url, client);
        Assert.Equal(200, deleted.Status);
        // The timestamp as the wire writes it.
        Assert.Matches(CreatingProducts.Timestamp, deleted.Data.GetProperty("deletedAt").GetString());
        Assert.Equal(0, (await Get("/api/v1/products", client)).Data.GetArrayLength());

        // Only one ProductDeleted: the second delete appended nothing.
        await using var session = Store.QuerySession(client.AccountId.ToString());
        var events = await session.Events.FetchStreamAsync(product.Id);
        Assert.Equal([typeof(ProductCreated), typeof(ProductDeleted)], events.Select(x => x.EventType));
    }

    [Fact]
    public async Task a_deleted_product_can_no_longer_be_changed()
    {
        var client = await AClient();
        var product = await CreateProduct(client, AProduct("gone"));
        var url = $"/api/v1/products/{product.Id}";
        await Delete(url, client);

        var response = await Patch(url, client, new { name = "Back" });

        Assert.Equal(409, response.Status);
        Assert.Equal("application/problem+json", response.ContentType);
    }

    [Fact]
    public async Task every_change_is_an_event_on_the_products_stream()
    {
        var client = await AClient();
        var product = await CreateProduct(client, AProduct("evented"));
        var id = product.Id;
        await Patch($"/api/v1/products/{id}", client, new { name = "Renamed" });
        await Patch($"/api/v1/products/{id}", client, new { name = "Renamed" }); // no change, no event
        await Delete($"/api/v1/products/{id}", client);

        await using var session = Store.QuerySession(client.AccountId.ToString());
        var events = await session.Events.FetchStreamAsync(id);

        Assert.Equal([typeof(ProductCreated), typeof(ProductUpdated), typeof(ProductDeleted)], events.Select(x => x.EventType));
        Assert.Equal("Renamed", ((ProductUpdated)events[1].Data).Name);
    }

    [Theory]
    [InlineData("GET")]
    [InlineData("PATCH")]
    [InlineData("DELETE")]
    public async Task an_unknown_product_is_404(string method)
    {
        var client = await AClient();

        var response = await Send(method, $"/api/v1/products/{Guid.CreateVersion7()}", client, method == "PATCH" ? """{"name":"x"}""" : null);

        Assert.Equal(404, response.Status);
        Assert.Equal("application/problem+json", response.ContentType);
    }

    [Theory]
    [InlineData("not-a-uuid")]
    [InlineData("123")]
    [InlineData("00000000-0000-0000-0000-000000000000")]
    public async Task an_id_that_is_not_a_uuid_is_404(string id)
    {
        var client = await AClient();

        var response = await Get($"/api/v1/products/{id}", client);

        Assert.Equal(404, response.Status);
        Assert.Equal("application/problem+json", response.ContentType);
    }
}
