using Alba;
using Catalog.Licenses;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Wolverine;
using Marten;

namespace Catalog.Tests.Licenses;

/// <summary>
/// A key drawn twice is refused by the database's unique index and the issuance runs again with a new key:
/// the client sees a 201, never the collision. Collisions are forced with a key source that repeats itself,
/// in a host of its own (the one place a test swaps a service).
/// </summary>
[Collection(ServiceCollection.Name)]
public class KeyCollisions(AppFixture fixture) : IAsyncLifetime
{
    private IAlbaHost _host = null!;

    private sealed class RepeatingKeys : LicenseKeys
    {
        private int _calls;

        // The first three keys are the same; then keys are random again.
        public override string Next(string prefix) =>
            Interlocked.Increment(ref _calls) <= 3 ? $"{prefix}-SAME-SAME-SAME-SAME" : base.Next(prefix);
    }

    public async Task InitializeAsync()
    {
        await fixture.Host.ResetAllMartenDataAsync();
        _host = await AlbaHost.For<Program>(builder =>
        {
            builder.UseSetting("environment", "Development");
            builder.ConfigureServices(services =>
            {
                services.AddSingleton<LicenseKeys>(new RepeatingKeys());
                services.RunWolverineInSoloMode();
                services.DisableAllExternalWolverineTransports();
            });
        });
    }

    public async Task DisposeAsync()
    {
        await _host.StopAsync();
        await _host.DisposeAsync();
    }

    [Fact]
    public async Task a_repeated_key_is_drawn_again_inside_the_service()
    {
        var store = _host.Services.GetRequiredService<Marten.IDocumentStore>();
        var account = await AccountAdministration.CreateAccount(store, "Collisions", TimeProvider.System);
        var (_, key) = await AccountAdministration.CreateApiKey(store, account.Id.ToString(), string.Join(",", Scopes.All), null, TimeProvider.System);

        var product = await _host.Scenario(s =>
        {
            s.Post.Json(new { name = "Colliding", code = "colliding" }).ToUrl("/api/v1/products");
            s.WithBearerToken(key);
            s.StatusCodeShouldBe(201);
        });
        var productId = product.ReadAsJson<JsonElement>().GetProperty("data").GetProperty("id").GetString();

        var keys = new List<string>();
        for (var i = 0; i < 2; i++)
        {
            var issued = await _host.Scenario(s =>
            {
                s.Post.Json(new { }).ToUrl($"/api/v1/products/{productId}/licenses");
                s.WithBearerToken(key);
                s.StatusCodeShouldBe(201);
            });
            keys.Add(issued.ReadAsJson<JsonElement>().GetProperty("data").GetProperty("key").GetString()!);
        }

        Assert.Equal("LIC-SAME-SAME-SAME-SAME", keys[0]);
        Assert.NotEqual(keys[0], keys[1]); // the 2nd and 3rd draws collided; the 4th was used
        var count = await _host.Scenario(s =>
        {
            s.Get.Url($"/api/v1/products/{productId}");
            s.WithBearerToken(key);
        });
        Assert.Equal(2, count.ReadAsJson<JsonElement>().GetProperty("data").GetProperty("licensesCount").GetInt32());
    }
}
