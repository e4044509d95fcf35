using Catalog.Products;
using Marten;
using Npgsql;

namespace Catalog.Tests.Accounts;

public class Authentication(AppFixture fixture) : ApiTest(fixture)
{
    [Theory]
    [InlineData(null)]
    [InlineData("Bearer")]
    [InlineData("Bearer not-a-key")]
    [InlineData("Basic dXNlcjpwYXNz")]
    [InlineData("Bearer ctlg_0000000000000000000000000000000000000000")] // well formed, unknown
    [InlineData("Bearer ctlg_short")]
    public async Task a_request_without_a_valid_key_is_401_with_a_bearer_challenge(string? authorization)
    {
        await AClient();

        var response = await Send("GET", "/api/v1/products", null, configure: request =>
        {
            if (authorization is not null) request.Headers.Authorization = authorization;
        });

        Assert.Equal(401, response.Status);
        Assert.Equal("Bearer", response.Headers.WWWAuthenticate.ToString());
        Assert.Equal("application/problem+json", response.ContentType);
        Assert.False(string.IsNullOrEmpty(response.Detail));
    }

    [Fact]
    public async Task the_key_may_come_as_a_bearer_token_or_as_X_API_Key()
    {
        var client = await AClient(Scopes.ProductsRead);

        var bearer = await Get("/api/v1/products", client);
        var lowercaseScheme = await Send("GET", "/api/v1/products", null, configure: r => r.Headers.Authorization = "bearer " + client.Key);
        var header = await Send("GET", "/api/v1/products", null, configure: r => r.Headers["X-API-Key"] = client.Key);

        Assert.Equal([200, 200, 200], new[] { bearer.Status, lowercaseScheme.Status, header.Status });
    }

    [Fact]
    public async Task keys_are_recognisable_random_and_stored_only_as_a_hash()
    {
        var client = await AClient();
        var other = await AKeyFor(client.AccountId, Scopes.ProductsRead);

        Assert.Matches("^ctlg_[0-9A-Za-z]{40}$", client.Key);
        Assert.NotEqual(client.Key, other.Key);

        await using var connection = await OpenDatabase();
        await using var command = new NpgsqlCommand("select string_agg(data::text, ' ') from catalog.mt_doc_apikey", connection);
        var stored = (string)(await command.ExecuteScalarAsync())!;
        Assert.DoesNotContain(client.Key, stored);
        Assert.DoesNotContain(client.Key[5..], stored);
        Assert.Contains(Catalog.Accounts.ApiKeySecret.Hash(client.Key), stored);
    }

    [Fact]
    public async Task a_revoked_key_is_refused()
    {
        var client = await AClient();
        await AccountAdministration.RevokeApiKey(DirectoryStore, client.KeyId.ToString(), TimeProvider.System);

        var response = await Get("/api/v1/products", client);

        Assert.Equal(401, response.Status);
        Assert.Contains("revoked", response.Detail);
    }

    [Fact]
    public async Task a_key_in_use_stops_working_within_five_seconds_of_its_revocation()
    {
        var client = await AClient();
        Assert.Equal(200, (await Get("/api/v1/products", client)).Status);

        await AccountAdministration.RevokeApiKey(DirectoryStore, client.KeyId.ToString(), TimeProvider.System);

        var deadline = DateTime.UtcNow.AddSeconds(5);
        int status;
        do
        {
            status = (await Get("/api/v1/products", client)).Status;
            if (status == 401) break;
            await Task.Delay(100);
        } while (DateTime.UtcNow < deadline);
        Assert.Equal(401, status);
    }

    public static TheoryData<string, string, string> Endpoints => new()
    {
        { "POST", "/api/v1/products", Scopes.ProductsWrite },
        { "GET", "/api/v1/products", Scopes.ProductsRead },
        { "GET", "/api/v1/products/{id}", Scopes.ProductsRead },
        { "PATCH", "/api/v1/products/{id}", Scopes.ProductsWrite },
        { "DELETE", "/api/v1/products/{id}", Scopes.ProductsWrite },
    };

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task a_key_without_the_endpoints_scope_is_403_naming_the_scope(string method, string url, string scope)
    {
        var owner = await AClient();
        var product = await CreateProduct(owner, AProduct("scoped"));
        // Every scope but the one needed: write does not imply read, nor read write.
        var limited = await AKeyFor(owner.AccountId, AllScopes.Where(x => x != scope).ToArray());

        var response = await Send(method, url.Replace("{id}", product.Id.ToString()), limited,
            method is "POST" or "PATCH" ? JsonSerializer.Serialize(AProduct("scoped-2")) : null);

        Assert.Equal(403, response.Status);
        Assert.Equal("application/problem+json", response.ContentType);
        Assert.Contains(scope, response.Detail);
    }

    [Fact]
    public async Task another_accounts_product_is_indistinguishable_from_a_missing_one()
    {
        var acme = await AClient();
        var globex = await AClient();
        var product = await CreateProduct(acme, AProduct("acme-only"));
        var url = $"/api/v1/products/{product.Id}";

        var get = await Get(url, globex);
        var patch = await Patch(url, globex, new { name = "Stolen" });
        var delete = await Delete(url, globex);
        var missing = await Get($"/api/v1/products/{Guid.CreateVersion7()}", globex);

        Assert.Equal([404, 404, 404], new[] { get.Status, patch.Status, delete.Status });
        Assert.Equal(missing.Detail, get.Detail);
        Assert.Equal(0, (await Get("/api/v1/products", globex)).Data.GetArrayLength());

        var untouched = await Get(url, acme);
        Assert.Equal("Desktop App Pro", untouched.As<ProductDetails>().Name);
        // Not deleted: deletedAt present and null.
        Assert.Equal(JsonValueKind.Null, untouched.Data.GetProperty("deletedAt").ValueKind);
    }

    [Fact]
    public async Task each_account_lists_only_its_own_products_and_events()
    {
        var acme = await AClient();
        var globex = await AClient();
        await CreateProduct(acme, AProduct("a1"));
        await CreateProduct(acme, AProduct("a2"));
        await CreateProduct(globex, AProduct("g1"));

        var acmeList = await Get("/api/v1/products", acme);
        var globexList = await Get("/api/v1/products", globex);

        Assert.Equal(["a2", "a1"], acmeList.As<List<ProductSummary>>().Select(x => x.Code));
        Assert.Equal(["g1"], globexList.As<List<ProductSummary>>().Select(x => x.Code));

        await using var session = Store.QuerySession(globex.AccountId.ToString());
        Assert.Equal(1, await session.Events.QueryAllRawEvents().CountAsync());
        Assert.Equal(1, await session.Query<Product>().CountAsync());
    }

    [Fact]
    public async Task health_needs_no_key_but_everything_under_the_api_does()
    {
        var live = await Send("GET", "/health/live", null);
        var unknownRoute = await Send("GET", "/api/v1/nothing-here", null);

        Assert.Equal(200, live.Status);
        Assert.Contains(unknownRoute.Status, new[] { 401, 404 });
    }
}
