using System.Text.Json;
using System.Text.RegularExpressions;
using Catalog.Products;
using Marten;

namespace Catalog.Tests.Products;

public class CreatingProducts(AppFixture fixture) : ApiTest(fixture)
{
    public static readonly Regex Timestamp = new(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$");

    [Fact]
    public async Task the_seed_request_creates_the_product_the_seed_page_shows()
    {
        var client = await AClient(Scopes.ProductsWrite, Scopes.ProductsRead);

        var response = await Send("POST", "/api/v1/products", client, """
            {
              "name": "Desktop App Pro",
              "code": "desktop-app-pro",
              "description": "Professional desktop application with advanced features",
              "keyPrefix": "DSK",
              "metadata": { "category": "productivity" }
            }
            """);

        Assert.Equal(201, response.Status);
        var product = response.Data;
        Assert.Equal(
            ["id", "name", "code", "description", "keyPrefix", "accountId", "licensesCount", "createdAt", "updatedAt", "deletedAt", "metadata"],
            product.EnumerateObject().Select(x => x.Name));
        var created = response.As<ProductDetails>();
        var id = created.Id;
        Assert.Equal(7, id.Version);
        Assert.Equal($"/api/v1/products/{id}", response.Headers.Location.ToString());
        Assert.Equal("Desktop App Pro", created.Name);
        Assert.Equal("desktop-app-pro", created.Code);
        Assert.Equal("Professional desktop application with advanced features", created.Description);
        Assert.Equal("DSK", created.KeyPrefix);
        Assert.Equal(client.AccountId, created.AccountId);
        Assert.Equal(0, created.LicensesCount);
        // The timestamp as the wire writes it, and deletedAt present and null.
        Assert.Matches(Timestamp, product.GetProperty("createdAt").GetString());
        Assert.Equal(created.CreatedAt, created.UpdatedAt);
        Assert.Equal(JsonValueKind.Null, product.GetProperty("deletedAt").ValueKind);
        Assert.Equal("category", Assert.Single(created.Metadata).Key);
        Assert.Equal("\"productivity\"", created.Metadata["category"].GetRawText());

        // What was answered is what was stored.
        var stored = await Get($"/api/v1/products/{id}", client);
        Assert.Equal(response.Text, stored.Text);
    }

    [Fact]
    public async Task optional_fields_take_their_defaults()
    {
        var client = await AClient();

        var response = await Post("/api/v1/products", client, new { name = "Minimal", code = "minimal" });

        Assert.Equal(201, response.Status);
        var product = response.As<ProductDetails>();
        // Present and null, not left out.
        Assert.Equal(JsonValueKind.Null, response.Data.GetProperty("description").ValueKind);
        Assert.Equal("LIC", product.KeyPrefix);
        Assert.Empty(product.Metadata);
    }

    [Fact]
    public async Task creating_appends_ProductCreated_to_a_new_stream_named_by_the_product_id()
    {
        var client = await AClient();
        var product = await CreateProduct(client, new { name = "Streamed", code = "streamed" });
        var id = product.Id;

        await using var session = Store.QuerySession(client.AccountId.ToString());
        var events = await session.Events.FetchStreamAsync(id);

        var created = Assert.IsType<ProductCreated>(Assert.Single(events).Data);
        Assert.Equal(("Streamed", "streamed", client.AccountId), (created.Name, created.Code, created.AccountId));
    }

    public static TheoryData<string, string> ValidBodies => new()
    {
        { "name of 1 character", """{"name":"a","code":"c"}""" },
        { "name of 255 characters", $$"""{"name":"{{new string('n', 255)}}","code":"c"}""" },
        { "name of 255 astral characters", $$"""{"name":"{{string.Concat(Enumerable.Repeat("😀", 255))}}","code":"c"}""" },
        { "code of 50 characters", $$"""{"name":"a","code":"{{new string('c', 50)}}"}""" },
        { "code with every allowed character", """{"name":"a","code":"AZaz09-_"}""" },
        { "description of 1000 characters", $$"""{"name":"a","code":"c","description":"{{new string('d', 1000)}}"}""" },
        { "description null", """{"name":"a","code":"c","description":null}""" },
        { "keyPrefix of 2 letters", """{"name":"a","code":"c","keyPrefix":"AB"}""" },
        { "keyPrefix of 10 letters", """{"name":"a","code":"c","keyPrefix":"ABCDEFGHIJ"}""" },
        { "keyPrefix null takes the default", """{"name":"a","code":"c","keyPrefix":null}""" },
        { "metadata of 64 keys", $$"""{"name":"a","code":"c","metadata":{{Metadata(64)}}}""" },
        { "metadata key of 64 characters", "{\"name\":\"a\",\"code\":\"c\",\"metadata\":{\"" + new string('k', 64) + "\":\"v\"}}" },
        { "metadata string of 512 characters", "{\"name\":\"a\",\"code\":\"c\",\"metadata\":{\"k\":\"" + new string('v', 512) + "\"}}" },
        { "metadata numbers, booleans and null", """{"name":"a","code":"c","metadata":{"n":1.5,"i":-3,"t":true,"f":false,"z":null}}""" },
        { "metadata null", """{"name":"a","code":"c","metadata":null}""" },
    };

    [Theory]
    [MemberData(nameof(ValidBodies))]
    public async Task accepts_values_at_the_edges_of_every_rule(string rule, string body)
    {
        var client = await AClient();

        var response = await Send("POST", "/api/v1/products", client, body);

        Assert.True(response.Status == 201, $"{rule}: {response}");
    }

    public static TheoryData<string, string, string> InvalidBodies => new()
    {
        { "name missing", """{"code":"c"}""", "name" },
        { "name null", """{"name":null,"code":"c"}""", "name" },
        { "name empty", """{"name":"","code":"c"}""", "name" },
        { "name blank", """{"name":"   ","code":"c"}""", "name" },
        { "name of 256 characters", $$"""{"name":"{{new string('n', 256)}}","code":"c"}""", "name" },
        { "code missing", """{"name":"a"}""", "code" },
        { "code empty", """{"name":"a","code":""}""", "code" },
        { "code of 51 characters", $$"""{"name":"a","code":"{{new string('c', 51)}}"}""", "code" },
        { "code with a space", """{"name":"a","code":"a b"}""", "code" },
        { "code with a dot", """{"name":"a","code":"a.b"}""", "code" },
        { "code with a non-ASCII letter", """{"name":"a","code":"café"}""", "code" },
        { "code ending in a newline", """{"name":"a","code":"c\n"}""", "code" },
        { "description of 1001 characters", $$"""{"name":"a","code":"c","description":"{{new string('d', 1001)}}"}""", "description" },
        { "keyPrefix of 1 letter", """{"name":"a","code":"c","keyPrefix":"A"}""", "keyPrefix" },
        { "keyPrefix of 11 letters", """{"name":"a","code":"c","keyPrefix":"ABCDEFGHIJK"}""", "keyPrefix" },
        { "keyPrefix in lowercase", """{"name":"a","code":"c","keyPrefix":"dsk"}""", "keyPrefix" },
        { "keyPrefix with a digit", """{"name":"a","code":"c","keyPrefix":"DS1"}""", "keyPrefix" },
        { "keyPrefix ending in a newline", """{"name":"a","code":"c","keyPrefix":"DSK\n"}""", "keyPrefix" },
        { "keyPrefix empty", """{"name":"a","code":"c","keyPrefix":""}""", "keyPrefix" },
        { "metadata of 65 keys", $$"""{"name":"a","code":"c","metadata":{{Metadata(65)}}}""", "metadata" },
        { "metadata key of 65 characters", "{\"name\":\"a\",\"code\":\"c\",\"metadata\":{\"" + new string('k', 65) + "\":\"v\"}}", "metadata" },
        { "metadata key empty", """{"name":"a","code":"c","metadata":{"":"v"}}""", "metadata" },
        { "metadata string of 513 characters", "{\"name\":\"a\",\"code\":\"c\",\"metadata\":{\"k\":\"" + new string('v', 513) + "\"}}", "metadata.k" },
        { "metadata value an object", """{"name":"a","code":"c","metadata":{"k":{"nested":1}}}""", "metadata.k" },
        { "metadata value an array", """{"name":"a","code":"c","metadata":{"k":[1]}}""", "metadata.k" },
        { "metadata value a huge number", """{"name":"a","code":"c","metadata":{"k":1e999}}""", "metadata.k" },
        { "metadata an array", """{"name":"a","code":"c","metadata":["k"]}""", "metadata" },
        { "metadata a string", """{"name":"a","code":"c","metadata":"k=v"}""", "metadata" },
    };

    [Theory]
    [MemberData(nameof(InvalidBodies))]
    public async Task refuses_values_past_the_edges_of_every_rule_naming_the_field(string rule, string body, string field)
    {
        var client = await AClient();

        var response = await Send("POST", "/api/v1/products", client, body);

        Assert.True(response.Status == 400, $"{rule}: {response}");
        Assert.Equal("application/problem+json", response.ContentType);
        Assert.Contains(field, response.ErrorFields);
        await NothingWasStored(client);
    }

    [Fact]
    public async Task names_every_bad_field_at_once()
    {
        var client = await AClient();

        var response = await Post("/api/v1/products", client, new { name = "", code = "no spaces", keyPrefix = "x", description = new string('d', 1001) });

        Assert.Equal(400, response.Status);
        Assert.Equivalent(new[] { "name", "code", "description", "keyPrefix" }, response.ErrorFields);
    }

    private static string Metadata(int keys) =>
        JsonSerializer.Serialize(Enumerable.Range(0, keys).ToDictionary(i => $"key{i}", i => (object)i));
}
