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
    // Forms that embed an internal IPv4 address, and ranges that are not globally routable.
    [InlineData("64:ff9b::a9fe:a9fe", true)]     // NAT64 of 169.254.169.254
    [InlineData("64:ff9b::a00:1", true)]         // NAT64 of 10.0.0.1
    [InlineData("64:ff9b:1::a00:1", true)]       // local-use NAT64
    [InlineData("2002:a9fe:a9fe::", true)]       // 6to4 of 169.254.169.254
    [InlineData("2002:7f00:1::1", true)]         // 6to4 of 127.0.0.1
    [InlineData("::a9fe:a9fe", true)]            // IPv4-compatible
    [InlineData("::ffff:0:a9fe:a9fe", true)]     // IPv4-translated
    [InlineData("2001:0:4136:e378:8000:63bf:3fff:fdd2", true)] // Teredo
    [InlineData("2001:2::1", true)]              // benchmarking
    [InlineData("2001:db8::1", true)]            // documentation
    [InlineData("3fff::1", true)]                // documentation (RFC 9637)
    [InlineData("100::1", true)]                 // discard-only
    [InlineData("5f00::1", true)]                // segment routing
    [InlineData("198.18.0.1", true)]             // benchmarking
    [InlineData("198.19.255.254", true)]
    [InlineData("192.0.2.1", true)]              // TEST-NET-1
    [InlineData("198.51.100.7", true)]           // TEST-NET-2
    [InlineData("203.0.113.9", true)]            // TEST-NET-3
    [InlineData("192.88.99.1", true)]            // 6to4 relay anycast
    [InlineData("240.0.0.1", true)]              // reserved
    [InlineData("64:ff9b::808:808", false)]      // NAT64 of 8.8.8.8
    [InlineData("2002:808:808::1", false)]       // 6to4 of 8.8.8.8
    [InlineData("198.20.0.1", false)]
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
                "http://localhost:5432/", "https://192.168.0.1/hook?token=x",
                "http://[64:ff9b::a9fe:a9fe]/", "http://[64:ff9b::a00:1]/", "http://[2002:a9fe:a9fe::]/", "http://[::a9fe:a9fe]/",
                "http://[::ffff:0:a9fe:a9fe]/", "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/", "http://198.18.0.1/",
                "http://[100::1]/", "http://[2001:db8::1]/"
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
