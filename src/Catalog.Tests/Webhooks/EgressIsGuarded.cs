using System.Net;
using Catalog.Webhooks;
using Microsoft.AspNetCore.Hosting;

namespace Catalog.Tests.Webhooks;

/// <summary>
/// A webhook URL is the client's say-so: with Webhooks:AllowPrivateNetworks false (the default) the service never
/// connects to its own network, whatever the URL spells or a name resolves to.
/// </summary>
public class EgressIsGuarded(AppFixture fixture) : ApiTest(fixture)
{
    [Theory]
    [InlineData("127.0.0.1", true)]
    [InlineData("127.8.9.10", true)]
    [InlineData("10.0.0.5", true)]
    [InlineData("172.16.0.1", true)]
    [InlineData("172.31.255.255", true)]
    [InlineData("192.168.1.1", true)]
    [InlineData("169.254.169.254", true)]
    [InlineData("100.64.0.1", true)]
    [InlineData("0.0.0.0", true)]
    [InlineData("224.0.0.1", true)]
    [InlineData("255.255.255.255", true)]
    [InlineData("::1", true)]
    [InlineData("::", true)]
    [InlineData("fe80::1", true)]
    [InlineData("fc00::1", true)]
    [InlineData("fd12:3456::1", true)]
    [InlineData("ff02::1", true)]
    [InlineData("::ffff:127.0.0.1", true)]
    [InlineData("::ffff:10.0.0.1", true)]
    [InlineData("8.8.8.8", false)]
    [InlineData("172.32.0.1", false)]
    [InlineData("100.128.0.1", false)]
    [InlineData("93.184.216.34", false)]
    [InlineData("2606:4700::1111", false)]
    [InlineData("::ffff:8.8.8.8", false)]
    public void internal_addresses_are_forbidden_and_public_ones_are_not(string address, bool forbidden) =>
        Assert.Equal(forbidden, EgressGuard.IsForbidden(IPAddress.Parse(address)));

    [Fact]
    public async Task urls_naming_or_resolving_to_internal_addresses_are_refused_at_creation()
    {
        await Fixture.RestartAsync(builder => builder.UseSetting("Webhooks:AllowPrivateNetworks", "false"));
        try
        {
            await base.InitializeAsync();
            var client = await AClient();
            string[] urls =
            [
                "http://127.0.0.1:8080/hook", "http://169.254.169.254/latest/meta-data", "http://10.0.0.5/", "http://[::1]/",
                "http://2130706433/", "http://0x7f000001/", "http://[::ffff:127.0.0.1]/", "http://100.64.1.1/", "http://0.0.0.0/",
                "http://localhost:5432/", "https://192.168.0.1/hook?token=x"
            ];

            foreach (var url in urls)
            {
                var response = await Post("/api/v1/webhook-endpoints", client, new { url, events = new[] { "product.created" } });
                Assert.True(response.Status == 400, $"{url}: {response}");
                Assert.Contains("url", response.ErrorFields);
            }
            Assert.Equal(0, (await Get("/api/v1/webhook-endpoints", client)).Data.GetArrayLength());
        }
        finally
        {
            await Fixture.RestartAsync();
        }
    }

    [Fact]
    public async Task an_attempt_never_connects_to_an_internal_address_even_for_an_endpoint_stored_earlier()
    {
        await using var receiver = await Receiver.Start();
        await Fixture.RestartAsync(builder => builder.UseSetting("Webhooks:AllowPrivateNetworks", "false"));
        try
        {
            await base.InitializeAsync();
            var client = await AClient();
            // As if registered while private networks were allowed, or under a name that now resolves to loopback.
            var endpoint = new WebhookEndpoint(Guid.CreateVersion7(), client.AccountId, receiver.Url, ["product.created"],
                WebhookSignature.NewSecret(), DateTimeOffset.UtcNow, Slot: 0);
            await using (var session = Store.LightweightSession(client.AccountId.ToString()))
            {
                session.Insert(endpoint);
                await session.SaveChangesAsync();
            }

            await CreateProduct(client);

            await Eventually(async () =>
                (await Get($"/api/v1/webhook-endpoints/{endpoint.Id}/deliveries", client)).Data.GetArrayLength() >= 1,
                "the refused attempt");
            var attempt = (await Get($"/api/v1/webhook-endpoints/{endpoint.Id}/deliveries", client)).Data[0];
            Assert.Equal("failed", attempt.GetProperty("status").GetString());
            Assert.Equal(JsonValueKind.Null, attempt.GetProperty("responseCode").ValueKind);
            Assert.Empty(receiver.Requests);
            await Delete($"/api/v1/webhook-endpoints/{endpoint.Id}", client);
        }
        finally
        {
            await Fixture.RestartAsync();
        }
    }
}
