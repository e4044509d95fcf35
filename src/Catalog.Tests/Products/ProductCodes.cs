namespace Catalog.Tests.Products;

public class ProductCodes(AppFixture fixture) : ApiTest(fixture)
{
    [Fact]
    public async Task a_taken_code_is_a_409_naming_the_code()
    {
        var client = await AClient();
        await CreateProduct(client, AProduct("desktop-app-pro"));

        var response = await Post("/api/v1/products", client, AProduct("desktop-app-pro", "Another name"));

        Assert.Equal(409, response.Status);
        Assert.Equal("application/problem+json", response.ContentType);
        Assert.Contains("desktop-app-pro", response.Detail);
    }

    [Theory]
    [InlineData("DESKTOP-APP-PRO")]
    [InlineData("Desktop-App-Pro")]
    public async Task codes_are_compared_without_regard_to_case(string variant)
    {
        var client = await AClient();
        await CreateProduct(client, AProduct("desktop-app-pro"));

        var response = await Post("/api/v1/products", client, AProduct(variant));

        Assert.Equal(409, response.Status);
        Assert.Contains(variant, response.Detail);
    }

    [Fact]
    public async Task codes_are_unique_within_an_account_not_across_accounts()
    {
        var acme = await AClient();
        var globex = await AClient();
        await CreateProduct(acme, AProduct("shared-code"));

        var response = await Post("/api/v1/products", globex, AProduct("shared-code"));

        Assert.Equal(201, response.Status);
    }

    [Fact]
    public async Task the_code_of_a_deleted_product_stays_reserved()
    {
        var client = await AClient();
        var product = await CreateProduct(client, AProduct("retired"));
        Assert.Equal(204, (await Delete($"/api/v1/products/{product.Id}", client)).Status);

        var response = await Post("/api/v1/products", client, AProduct("RETIRED"));

        Assert.Equal(409, response.Status);
    }

    [Fact]
    public async Task racing_creates_of_one_code_give_exactly_one_product()
    {
        var client = await AClient();

        var responses = await Task.WhenAll(Enumerable.Range(0, 50).Select(i =>
            Post("/api/v1/products", client, AProduct(i % 2 == 0 ? "race" : "RACE", $"Racer {i}"))));

        Assert.Single(responses, x => x.Status == 201);
        Assert.All(responses.Where(x => x.Status != 201), x => Assert.Equal(409, x.Status));
        var list = await Get("/api/v1/products", client);
        Assert.Equal(1, list.Data.GetArrayLength());
    }
}
