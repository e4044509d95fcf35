using Alba;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Hosting;
using Wolverine;
using Wolverine.Marten;

[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Catalog.Tests;

/// <summary>
/// One real host for the whole run: the service's own Program, its real authentication, Marten and Wolverine,
/// against the PostgreSQL named by ConnectionStrings__Catalog (scripts/test starts one and sets it).
/// </summary>
public sealed class AppFixture : IAsyncLifetime
{
    public IAlbaHost Host { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("ConnectionStrings__Catalog")))
            throw new InvalidOperationException(
                "ConnectionStrings__Catalog is not set: run the tests with scripts/test, which starts PostgreSQL.");

        Host = await AlbaHost.For<Program>(builder =>
        {
            builder.UseSetting("environment", "Development");
            builder.ConfigureServices(services =>
            {
                services.RunWolverineInSoloMode();
                services.DisableAllExternalWolverineTransports();
            });
        });
    }

    public async Task DisposeAsync()
    {
        await Host.StopAsync();
        await Host.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class ServiceCollection : ICollectionFixture<AppFixture>
{
    public const string Name = "service";
}
