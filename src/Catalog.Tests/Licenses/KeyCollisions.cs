using Catalog.Licenses;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Catalog.Tests.Licenses;

/// <summary>
/// A key drawn twice is refused by the database's unique index and the issuance runs again with a new key:
/// the client sees a 201, never the collision. Collisions are forced with a key source that repeats itself,
/// for this test only (the host is restarted with it, then restarted as it was).
/// </summary>
public class KeyCollisions(AppFixture fixture) : ApiTest(fixture)
{
    private sealed class RepeatingKeys : LicenseKeys
    {
        private int _calls;

        // The first three keys are the same; then keys are random again.
        public override string Next(string prefix) =>
            Interlocked.Increment(ref _calls) <= 3 ? $"{prefix}-SAME-SAME-SAME-SAME" : base.Next(prefix);
    }

    public override async Task InitializeAsync()
    {
        await Fixture.RestartAsync(builder =>
            builder.ConfigureServices(services => services.AddSingleton<LicenseKeys>(new RepeatingKeys())));
        await base.InitializeAsync();
    }

    public override Task DisposeAsync() => Fixture.RestartAsync();

    [Fact]
    public async Task a_repeated_key_is_drawn_again_inside_the_service()
    {
        var client = await AClient();
        var productId = (await CreateProduct(client)).Id;

        var first = await IssueLicense(client, productId);
        var second = await IssueLicense(client, productId); // the 2nd and 3rd draws collide; the 4th is used

        Assert.Equal("LIC-SAME-SAME-SAME-SAME", first.Key);
        Assert.NotEqual(first.Key, second.Key);
        Assert.Equal(2, await LicensesCount(client, productId));
    }
}
