using System.Text;
using System.Text.Json;
using Catalog.Conventions;
using Catalog.Http;
using Catalog.Products;
using Microsoft.Extensions.DependencyInjection;

namespace Catalog.Tests.Products;

/// <summary>
/// A product's get and list are the stored document's JSON reshaped as it passes (Products/ProductAnswers.cs), not
/// serialized from <see cref="ProductDetails"/> and <see cref="ProductSummary"/>: whatever a product holds, the answer
/// must be the JSON those records make of the same document, field for field and in their order.
/// </summary>
public class ProductAnswersAreTheRecords(AppFixture fixture) : ApiTest(fixture)
{
    public static readonly string[] Bodies =
    [
        """{"name":"Desktop App Pro","code":"plain","description":"Professional desktop application","keyPrefix":"DSK","metadata":{"category":"productivity"}}""",
        """
        {"name": "Café ☕ \"quoted\" <b>&amp; 'it' \\ / 𝄞 日本", "code": "unicode", "description": "  spaced  \"out\"  ",
         "metadata": {"one": 1, "cents": 2.50, "minus zero": -0.0, "exponent": 1e3, "big": 12345678901234567890, "yes": true, "no": false,
                      "none": null, "empty": "", "key with spaces": "  v : w , x  ", "ünï": "\u0001\n\t\r\u001f\"", "<script>": "</script>"}}
        """,
        """{"name":"n","code":"no-description-no-metadata"}""",
    ];

    [Fact]
    public async Task a_product_and_the_list_are_the_json_of_their_records_whatever_they_hold()
    {
        var client = await AClient();
        var ids = new List<Guid>();
        foreach (var body in Bodies)
        {
            var created = await Send("POST", "/api/v1/products", client, body);
            Assert.True(created.Status == 201, created.Text);
            ids.Add(created.As<ProductDetails>().Id);
        }
        Assert.Equal(200, (await Patch($"/api/v1/products/{ids[0]}", client, new { description = (string?)null, name = "Renamed" })).Status);
        Assert.Equal(204, (await Delete($"/api/v1/products/{ids[2]}", client)).Status);

        await using var session = Store.QuerySession(client.AccountId.ToString());
        foreach (var id in ids)
        {
            var stored = await session.LoadAsync<Product>(id);
            var read = await Get($"/api/v1/products/{id}", client);

            Assert.Equal(200, read.Status);
            AssertSameJson(JsonSerializer.Serialize(new Resource<ProductDetails>(ProductDetails.From(stored!)), ApiJson.Options), read.Text);
            // Sent whole with its length, never in chunks.
            Assert.Equal(Encoding.UTF8.GetByteCount(read.Text), read.Headers.ContentLength);
            Assert.StartsWith("application/json", read.ContentType);
        }

        var live = ids.Where(x => x != ids[2]).Reverse().ToList();
        var list = await Get("/api/v1/products?limit=1", client);
        var rest = await Get($"/api/v1/products?limit=5&cursor={live[0]}", client);
        for (var (page, items) = (0, new[] { list, rest }); page < items.Length; page++)
        {
            // The rows the page read: one past its limit on the first, which tells that another page exists.
            var expected = await Task.WhenAll((page == 0 ? live : live.Skip(1)).Select(x => session.LoadAsync<Product>(x)));
            AssertSameJson(JsonSerializer.Serialize(Pagination.Of(expected!, page == 0 ? 1 : 5, ProductSummary.From, x => x!.Id.ToString()),
                ApiJson.Options), items[page].Text);
            Assert.Equal(Encoding.UTF8.GetByteCount(items[page].Text), items[page].Headers.ContentLength);
        }

        // The plain product, as ASCII with no escapes, is the same bytes as the serializer's.
        var plain = await session.LoadAsync<Product>(ids[0]);
        Assert.Equal(JsonSerializer.Serialize(new Resource<ProductDetails>(ProductDetails.From(plain!)), ApiJson.Options),
            (await Get($"/api/v1/products/{ids[0]}", client)).Text);
    }

    [Fact]
    public async Task another_accounts_product_and_an_unknown_one_are_404_problem_details()
    {
        var owner = await AClient();
        var product = await CreateProduct(owner);
        var stranger = await AClient();

        foreach (var url in new[] { $"/api/v1/products/{product.Id}", $"/api/v1/products/{Guid.CreateVersion7()}" })
        {
            var response = await Get(url, url.Contains(product.Id.ToString()) ? stranger : owner);
            Assert.Equal(404, response.Status);
            Assert.Equal("application/problem+json", response.ContentType);
        }
        Assert.Equal(0, (await Get("/api/v1/products", stranger)).Data.GetArrayLength());
    }

    [Fact]
    public void every_statement_reads_only_the_sessions_account_and_the_benchmark_runs_the_same()
    {
        var answers = Host.Services.GetRequiredService<ProductAnswers>();
        // StoredAnswers gives every statement the caller's account as $1.
        Assert.Contains("where d.tenant_id = $1 and", answers.ById);
        Assert.Contains("where d.tenant_id = $1 and", answers.LivePage);

        // bench/sql's baseline for pgbench is the service's statements, with pgbench's variables for the parameters.
        static string Bench(string name) => Flat(File.ReadAllText(Path.Combine(TestTools.RepositoryRoot, "bench", "sql", name)));
        static string Flat(string sql) => System.Text.RegularExpressions.Regex.Replace(sql, @"\s+", "").TrimEnd(';');
        Assert.Equal(Flat(answers.ById.Replace("$1", ":tenant").Replace("$2", ":product")), Bench("get.sql"));
        Assert.Equal(Flat(answers.LivePage.Replace("$1", ":tenant").Replace("$2", "'ffffffff-ffff-ffff-ffff-ffffffffffff'").Replace("$3", "26")),
            Bench("list.sql"));
        Assert.Equal(Flat(answers.LivePage.Replace("$1", ":deeptenant").Replace("$2", ":cursor").Replace("$3", "26")), Bench("deep.sql"));
    }

    /// <summary>The same JSON value, objects' fields in the same order (strings compared unescaped).</summary>
    private static void AssertSameJson(string expected, string actual)
    {
        using var want = JsonDocument.Parse(expected);
        using var got = JsonDocument.Parse(actual);
        Assert.True(JsonElement.DeepEquals(want.RootElement, got.RootElement), $"expected {expected}\n     got {actual}");
        Assert.Equal(FieldsInOrder(want.RootElement), FieldsInOrder(got.RootElement));
        // Compact, as every other answer: no whitespace between tokens.
        Assert.Equal(Minified(actual), actual);
    }

    private static IEnumerable<string> FieldsInOrder(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => element.EnumerateObject().SelectMany(x => FieldsInOrder(x.Value).Prepend(x.Name)),
        JsonValueKind.Array => element.EnumerateArray().SelectMany(FieldsInOrder),
        _ => []
    };

    private static string Minified(string json)
    {
        var text = new StringBuilder();
        var (inString, escaped) = (false, false);
        foreach (var c in json)
        {
            if (inString) (escaped, inString) = escaped ? (false, true) : (c == '\\', c != '"');
            else if (c == '"') inString = true;
            else if (char.IsWhiteSpace(c)) continue;
            text.Append(c);
        }
        return text.ToString();
    }
}
