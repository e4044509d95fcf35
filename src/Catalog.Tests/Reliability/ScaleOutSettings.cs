using Catalog.Hosting;
using Microsoft.Extensions.Configuration;

namespace Catalog.Tests.Reliability;

/// <summary>The contract's scale-out settings this version does not serve yet are named, never silently ignored.</summary>
public class ScaleOutSettings
{
    private static IConfiguration With(params (string Key, string Value)[] settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings.Select(x => new KeyValuePair<string, string?>(x.Key, x.Value))).Build();

    [Fact]
    public void a_single_database_deployment_names_nothing() =>
        Assert.Empty(Database.SettingsNotYetServed(With(("ConnectionStrings:Catalog", "Host=a"), ("Database:ReadFromStandby", "false"))));

    [Fact]
    public void shards_are_named_and_standby_reads_are_not() =>
        Assert.Equal(
            ["Sharding:Databases"],
            Database.SettingsNotYetServed(With(("Sharding:Databases:shard1", "Host=b"), ("Database:ReadFromStandby", "true")))
                .Select(x => x.Split(' ')[0]));
}
