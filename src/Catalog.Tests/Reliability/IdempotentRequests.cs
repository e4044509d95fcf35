using Catalog.Products;
using Marten;
using Marten.Events;
using Microsoft.Extensions.DependencyInjection;

namespace Catalog.Tests.Reliability;

public class IdempotentRequests(AppFixture fixture) : ApiTest(fixture)
{
    private Task<ApiResponse> PostWithKey(string url, Client client, string body, string key) =>
        Send("POST", url, client, body, configure: r => r.Headers["Idempotency-Key"] = key);

    [Fact]
    public async Task the_same_key_and_body_answer_the_first_answer_without_doing_the_work_again()
    {
        var client = await AClient();
        const string body = """{"name":"Once","code":"once"}""";

        var first = await PostWithKey("/api/v1/products", client, body, "create-once");
        var again = await PostWithKey("/api/v1/products", client, body, "create-once");

        Assert.Equal(201, first.Status);
        Assert.Equal(201, again.Status);
        Assert.Equal(first.Text, again.Text);
        Assert.Equal(first.Headers.Location.ToString(), again.Headers.Location.ToString());
        Assert.Equal("true", again.Headers["Idempotent-Replayed"].ToString());
        Assert.False(first.Headers.ContainsKey("Idempotent-Replayed"));
        Assert.Equal(1, (await Get("/api/v1/products", client)).Data.GetArrayLength());
    }

    [Fact]
    public async Task the_same_key_with_another_body_is_422()
    {
        var client = await AClient();
        await PostWithKey("/api/v1/products", client, """{"name":"One","code":"one"}""", "k1");

        var response = await PostWithKey("/api/v1/products", client, """{"name":"Two","code":"two"}""", "k1");

        Assert.Equal(422, response.Status);
        Assert.Equal("application/problem+json", response.ContentType);
        Assert.Equal(1, (await Get("/api/v1/products", client)).Data.GetArrayLength());
    }

    [Fact]
    public async Task a_replayed_license_issuance_issues_one_license()
    {
        var client = await AClient();
        var productId = (await CreateProduct(client)).Id;

        var first = await PostWithKey($"/api/v1/products/{productId}/licenses", client, "{}", "issue-1");
        var again = await PostWithKey($"/api/v1/products/{productId}/licenses", client, "{}", "issue-1");

        Assert.Equal(first.As<Catalog.Licenses.LicenseDetails>().Key, again.As<Catalog.Licenses.LicenseDetails>().Key);
        Assert.Equal(1, await LicensesCount(client, productId));
    }

    [Fact]
    public async Task concurrent_requests_with_one_key_take_effect_once()
    {
        var client = await AClient();
        const string body = """{"name":"Racing","code":"racing"}""";

        var responses = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => PostWithKey("/api/v1/products", client, body, "race-key")));

        Assert.All(responses, r => Assert.Contains(r.Status, new[] { 201, 409 }));
        Assert.Contains(responses, r => r.Status == 201);
        Assert.Equal(1, (await Get("/api/v1/products", client)).Data.GetArrayLength());
        await using var session = Store.QuerySession(client.AccountId.ToString());
        // One ProductCreated. A loser's rolled-back append leaves Marten's "tombstone" events (they mark the sequence
        // numbers it used, so the daemon need not wait for them); they belong to no product and no event log.
        Assert.Equal(1, await session.Events.QueryAllRawEvents().Where(x => x.EventTypesAre(typeof(ProductCreated))).CountAsync());
        await ReadModelsAgreeWithTheEvents(); // the losers' tombstones included
    }

    [Fact]
    public async Task a_keyed_retry_of_a_suspension_is_replayed_and_an_activation_is_idempotent_by_its_fingerprint()
    {
        var (vendor, license) = await ALicense();
        const string host = """{"fingerprint": "host-1"}""";

        var suspended = await PostWithKey($"/api/v1/licenses/{license.Id}/suspend", vendor, "{}", "suspend-1");
        var again = await PostWithKey($"/api/v1/licenses/{license.Id}/suspend", vendor, "{}", "suspend-1");
        var refused = await PostWithKey($"/api/v1/licenses/{license.Id}/machines", vendor, host, "activate-1");
        var refusedAgain = await PostWithKey($"/api/v1/licenses/{license.Id}/machines", vendor, host, "activate-1");

        Assert.Equal((200, 200), (suspended.Status, again.Status));
        Assert.Equal(suspended.Text, again.Text);
        Assert.Equal("true", again.Headers["Idempotent-Replayed"].ToString());
        Assert.Equal("suspended", again.As<Catalog.Licenses.LicenseDetails>().Status);
        Assert.Equal(422, (await PostWithKey($"/api/v1/licenses/{license.Id}/reinstate", vendor, "{}", "suspend-1")).Status);
        // A suspended license activates nothing, the first time as the second.
        Assert.Equal((403, 403), (refused.Status, refusedAgain.Status));
        Assert.Equal(200, (await PostWithKey($"/api/v1/licenses/{license.Id}/reinstate", vendor, "{}", "reinstate-1")).Status);
        Assert.Equal(200, (await PostWithKey($"/api/v1/licenses/{license.Id}/reinstate", vendor, "{}", "reinstate-1")).Status);
        Assert.Equal(201, (await PostWithKey($"/api/v1/licenses/{license.Id}/machines", vendor, host, "activate-2")).Status);
        Assert.Equal(200, (await PostWithKey($"/api/v1/licenses/{license.Id}/machines", vendor, host, "activate-2")).Status);
    }

    [Fact]
    public async Task keys_belong_to_their_account()
    {
        var acme = await AClient();
        var globex = await AClient();

        var a = await PostWithKey("/api/v1/products", acme, """{"name":"A","code":"a"}""", "shared");
        var b = await PostWithKey("/api/v1/products", globex, """{"name":"B","code":"b"}""", "shared");

        Assert.Equal(201, a.Status);
        Assert.Equal(201, b.Status);
        Assert.NotEqual(a.As<Catalog.Products.ProductDetails>().Id, b.As<Catalog.Products.ProductDetails>().Id);
    }

    /// <summary>
    /// An answer is kept for the API key that made it: another key of the same account sending the same
    /// Idempotency-Key and body does the request itself, under its own scopes. Were the answer replayed, a key with
    /// only webhooks:write would be handed a license-event endpoint, and its secret, that it may not create.
    /// </summary>
    [Fact]
    public async Task an_answer_is_replayed_only_to_the_key_that_made_it()
    {
        var full = await AClient("webhooks:write", "licenses:read");
        var narrow = await AKeyFor(full.AccountId, "webhooks:write");
        const string body = """{"url":"http://127.0.0.1:9/hook","events":["license.issued"]}""";

        var made = await PostWithKey("/api/v1/webhook-endpoints", full, body, "endpoint-1");
        var replayedToOther = await PostWithKey("/api/v1/webhook-endpoints", narrow, body, "endpoint-1");
        var replayedToSame = await PostWithKey("/api/v1/webhook-endpoints", full, body, "endpoint-1");

        Assert.Equal(201, made.Status);
        Assert.Equal(403, replayedToOther.Status);
        Assert.Contains("licenses:read", replayedToOther.Text);
        Assert.DoesNotContain(made.As<Catalog.Webhooks.WebhookEndpointCreated>().Secret, replayedToOther.Text);
        Assert.Equal(201, replayedToSame.Status);
        Assert.Equal("true", replayedToSame.Headers["Idempotent-Replayed"].ToString());
        Assert.Equal(made.Text, replayedToSame.Text);

        // Two keys of one account with the same Idempotency-Key each get their own work done.
        var one = await PostWithKey("/api/v1/products", await AKeyFor(full.AccountId, "products:write"), """{"name":"A","code":"a"}""", "k");
        var two = await PostWithKey("/api/v1/products", await AKeyFor(full.AccountId, "products:write"), """{"name":"A","code":"a"}""", "k");
        Assert.Equal(201, one.Status);
        Assert.Equal(409, two.Status); // its own attempt, refused by the code taken; never the first key's answer
        Assert.False(one.Headers.ContainsKey("Idempotent-Replayed"));
    }

    /// <summary>
    /// A webhook endpoint keeps the key it was created with, so that no stored answer holds its secret: the rules are
    /// the others' all the same, answered from the endpoint.
    /// </summary>
    [Fact]
    public async Task a_webhook_endpoint_answers_a_repeat_of_its_key_itself_by_the_same_rules()
    {
        var client = await AClient();
        const string body = """{"url":"https://hooks.example.com/a","events":["product.created"]}""";

        var first = await PostWithKey("/api/v1/webhook-endpoints", client, body, "hook-a");
        var spacedOtherwise = await PostWithKey("/api/v1/webhook-endpoints", client, """{ "url": "https://hooks.example.com/a", "events": ["product.created"] }""", "hook-a");
        var otherRequest = await PostWithKey("/api/v1/webhook-endpoints", client, """{"url":"https://hooks.example.com/b","events":["product.created"]}""", "hook-a");
        var tooLong = await PostWithKey("/api/v1/webhook-endpoints", client, body, new string('k', 256));

        Assert.Equal(201, first.Status);
        Assert.False(first.Headers.ContainsKey("Idempotent-Replayed"));
        Assert.Equal(201, spacedOtherwise.Status);
        Assert.Equal("true", spacedOtherwise.Headers["Idempotent-Replayed"].ToString());
        Assert.Equal(first.Text, spacedOtherwise.Text);
        Assert.Equal(first.Headers.Location.ToString(), spacedOtherwise.Headers.Location.ToString());
        Assert.Equal(422, otherRequest.Status);
        Assert.Equal("application/problem+json", otherRequest.ContentType);
        Assert.Equal(400, tooLong.Status);
        Assert.Equal(["Idempotency-Key"], tooLong.ErrorFields);
        Assert.Equal(1, (await Get("/api/v1/webhook-endpoints", client)).Data.GetArrayLength());

        // 24 hours on, the key is spent: a repeat never shows the secret again, nor makes a second endpoint.
        var made = first.As<Catalog.Webhooks.WebhookEndpointCreated>();
        await using (var session = Store.LightweightSession(client.AccountId.ToString()))
        {
            var endpoint = (await session.LoadAsync<Catalog.Webhooks.WebhookEndpoint>(made.Id))!;
            session.Store(endpoint with { CreatedAt = endpoint.CreatedAt.AddHours(-25) });
            await session.SaveChangesAsync();
        }
        var dayLater = await PostWithKey("/api/v1/webhook-endpoints", client, body, "hook-a");
        Assert.Equal(422, dayLater.Status);
        Assert.DoesNotContain(made.Secret, dayLater.Text);
        Assert.Equal(1, (await Get("/api/v1/webhook-endpoints", client)).Data.GetArrayLength());
    }

    [Fact]
    public async Task a_refused_request_leaves_its_key_free_as_at_stripe()
    {
        var client = await AClient();
        await CreateProduct(client, AProduct("taken"));

        var invalid = await PostWithKey("/api/v1/products", client, """{"name":"","code":"x"}""", "bad");
        var conflict = await PostWithKey("/api/v1/products", client, """{"name":"T","code":"taken"}""", "conflict");
        var fixedUp = await PostWithKey("/api/v1/products", client, """{"name":"Fixed","code":"x"}""", "bad");

        Assert.Equal(400, invalid.Status);
        Assert.Equal(409, conflict.Status);
        Assert.Equal(201, fixedUp.Status);
        Assert.False(fixedUp.Headers.ContainsKey("Idempotent-Replayed"));
    }

    [Fact]
    public async Task validation_is_a_read_and_ignores_the_key()
    {
        var client = await AClient();
        var productId = (await CreateProduct(client)).Id;
        var license = await IssueLicense(client, productId);
        var body = $$"""{"key":"{{license.Key}}"}""";

        var before = await PostWithKey("/api/v1/licenses/validate", client, body, "check");
        await Post($"/api/v1/licenses/{license.Id}/revoke", client, new { });
        var after = await PostWithKey("/api/v1/licenses/validate", client, body, "check");

        Assert.Equal("VALID", before.As<Catalog.Licenses.LicenseValidation>().Code);
        Assert.Equal("REVOKED", after.As<Catalog.Licenses.LicenseValidation>().Code);
        Assert.False(after.Headers.ContainsKey("Idempotent-Replayed"));
    }

    [Fact]
    public async Task a_keyed_answer_costs_no_transaction_of_its_own_and_is_kept_24_hours()
    {
        var client = await AClient();

        await PostWithKey("/api/v1/products", client, """{"name":"Kept","code":"kept"}""", "kept-key");

        await using var connection = await OpenDatabase();
        await using var command = connection.CreateCommand();
        command.CommandText = "select status_code, location, expires - now() from catalog.wolverine_deduplicated_responses";
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(201, reader.GetInt32(0));
        Assert.StartsWith("/api/v1/products/", reader.GetString(1));
        Assert.InRange(reader.GetFieldValue<TimeSpan>(2), TimeSpan.FromHours(23.9), TimeSpan.FromHours(24.1));
    }

    [Fact]
    public async Task a_key_longer_than_255_characters_is_400()
    {
        var client = await AClient();

        var response = await PostWithKey("/api/v1/products", client, """{"name":"A","code":"a"}""", new string('k', 256));
        var longest = await PostWithKey("/api/v1/products", client, """{"name":"A","code":"a"}""", new string('k', 255));

        Assert.Equal(400, response.Status);
        Assert.Contains("Idempotency-Key", response.ErrorFields);
        Assert.Equal(201, longest.Status);
    }
}
