using Catalog.Secrets;
using Catalog.Webhooks;
using Microsoft.Extensions.DependencyInjection;

namespace Catalog.Tests.Webhooks;

public class ManagingWebhookEndpoints(AppFixture fixture) : ApiTest(fixture)
{
    [Fact]
    public async Task an_endpoint_is_created_with_a_secret_shown_once_listed_and_deleted()
    {
        var client = await AClient(Scopes.WebhooksWrite, Scopes.LicensesRead); // license events need licenses:read too

        var created = await Post("/api/v1/webhook-endpoints", client, new { url = "https://example.com/hooks", events = new[] { "product.created", "license.issued" } });

        Assert.Equal(201, created.Status);
        Assert.Equal(["id", "url", "events", "secret", "createdAt"], created.Data.EnumerateObject().Select(x => x.Name));
        var endpoint = created.As<WebhookEndpointCreated>();
        Assert.Equal($"/api/v1/webhook-endpoints/{endpoint.Id}", created.Headers.Location.ToString());
        Assert.StartsWith("whsec_", endpoint.Secret);
        Assert.Equal(["product.created", "license.issued"], endpoint.Events);

        var listed = await Get("/api/v1/webhook-endpoints", client);
        var item = Assert.Single(listed.Data.EnumerateArray());
        Assert.Equal(["id", "url", "events", "status", "createdAt"], item.EnumerateObject().Select(x => x.Name));
        Assert.DoesNotContain(endpoint.Secret, listed.Text);

        var url = $"/api/v1/webhook-endpoints/{endpoint.Id}";
        Assert.Equal(204, (await Delete(url, client)).Status);
        Assert.Equal(404, (await Delete(url, client)).Status);
        Assert.Equal(0, (await Get("/api/v1/webhook-endpoints", client)).Data.GetArrayLength());
    }

    [Theory]
    [InlineData("""{"events":["product.created"]}""", "url")]
    [InlineData("""{"url":"ftp://example.com/x","events":["product.created"]}""", "url")]
    [InlineData("""{"url":"file:///etc/passwd","events":["product.created"]}""", "url")]
    [InlineData("""{"url":"/relative","events":["product.created"]}""", "url")]
    [InlineData("""{"url":"not a url","events":["product.created"]}""", "url")]
    [InlineData("""{"url":"https://user:pass@example.com/x","events":["product.created"]}""", "url")]
    [InlineData("""{"url":"https://example.com/a\u0000b","events":["product.created"]}""", "url")]
    [InlineData("""{"url":"https://example.com/a\u0001b","events":["product.created"]}""", "url")]
    [InlineData("""{"url":"https://example.com/\ud800","events":["product.created"]}""", "url")]
    [InlineData("""{"url":"https://a\u0378\u05d0b.example.com/x","events":["product.created"]}""", "url")] // not a host IDNA allows (unassigned; mixed direction)
    [InlineData("""{"url":"https://example.com/x"}""", "events")]
    [InlineData("""{"url":"https://example.com/x","events":[]}""", "events")]
    [InlineData("""{"url":"https://example.com/x","events":["product.exploded"]}""", "events")]
    [InlineData("""{"url":"https://example.com/x","events":"product.created"}""", "events")]
    [InlineData("""{"url":"https://example.com/x","events":[null]}""", "events")]
    public async Task bad_endpoints_are_400_naming_the_field(string body, string field)
    {
        var client = await AClient(Scopes.WebhooksWrite);

        var response = await Send("POST", "/api/v1/webhook-endpoints", client, body);

        Assert.Equal(400, response.Status);
        Assert.Contains(field, response.ErrorFields);
        Assert.Equal(0, (await Get("/api/v1/webhook-endpoints", client)).Data.GetArrayLength());
    }

    [Fact]
    public async Task an_account_may_have_at_most_twenty_endpoints()
    {
        var client = await AClient(Scopes.WebhooksWrite);
        for (var i = 0; i < 20; i++)
            Assert.Equal(201, (await Post("/api/v1/webhook-endpoints", client, new { url = $"https://example.com/{i}", events = new[] { "product.created" } })).Status);

        var response = await Post("/api/v1/webhook-endpoints", client, new { url = "https://example.com/21", events = new[] { "product.created" } });

        Assert.Equal(400, response.Status);
        Assert.Contains("20", response.Text);
    }

    [Fact]
    public async Task the_cap_holds_under_a_hundred_concurrent_creates()
    {
        var client = await AClient(Scopes.WebhooksWrite);

        var responses = await Task.WhenAll(Enumerable.Range(0, 100).Select(i =>
            Post("/api/v1/webhook-endpoints", client, new { url = $"https://example.com/{i}", events = new[] { "product.created" } })));

        Assert.All(responses, x => Assert.True(x.Status is 201 or 400, x.ToString()));
        Assert.Equal(20, responses.Count(x => x.Status == 201));
        Assert.Equal(20, (await Get("/api/v1/webhook-endpoints", client)).Data.GetArrayLength());
    }

    [Fact]
    public async Task endpoints_need_webhooks_write_and_are_private_to_their_account()
    {
        var owner = await AClient();
        var other = await AClient();
        var endpoint = (await Post("/api/v1/webhook-endpoints", owner, new { url = "https://example.com/x", events = new[] { "product.created" } })).As<WebhookEndpointCreated>();
        var limited = await AKeyFor(owner.AccountId, AllScopes.Where(x => x != Scopes.WebhooksWrite).ToArray());

        Assert.Equal(403, (await Get("/api/v1/webhook-endpoints", limited)).Status);
        Assert.Equal(0, (await Get("/api/v1/webhook-endpoints", other)).Data.GetArrayLength());
        Assert.Equal(404, (await Delete($"/api/v1/webhook-endpoints/{endpoint.Id}", other)).Status);
        Assert.Equal(404, (await Get($"/api/v1/webhook-endpoints/{endpoint.Id}/deliveries", other)).Status);
    }

    [Fact]
    public async Task a_secret_stored_in_clear_before_secrets_were_sealed_is_sealed_at_start_and_signs_as_before()
    {
        var client = await AClient();
        var clear = Catalog.Webhooks.WebhookSignature.NewSecret();
        var endpoint = new Catalog.Webhooks.WebhookEndpoint(Guid.CreateVersion7(), client.AccountId, "https://hooks.example.com/old",
            ["product.created"], clear, DateTimeOffset.UtcNow, 0);
        await using (var session = Store.LightweightSession(client.AccountId.ToString()))
        {
            session.Insert(endpoint);
            await session.SaveChangesAsync();
        }
        var secrets = Host.Services.GetRequiredService<Catalog.Secrets.SecretBox>();

        await new Catalog.Webhooks.SealClearSecrets(secrets).Populate(Store, CancellationToken.None);

        await using var query = Store.QuerySession(client.AccountId.ToString());
        var stored = (await query.LoadAsync<Catalog.Webhooks.WebhookEndpoint>(endpoint.Id))!;
        Assert.DoesNotContain(clear, stored.Secret);
        Assert.StartsWith(secrets.CurrentPrefix, stored.Secret); // sealed under the current master key, named by its id
        Assert.Equal(clear, stored.SigningSecret(secrets));
    }
}
