using Catalog.Hosting;
using Microsoft.Extensions.Configuration;

namespace Catalog.Tests.Reliability;

/// <summary>How the contract's shard settings are read: one shard per entry, with the service's connection defaults.</summary>
public class ScaleOutSettings
{
    private static IConfiguration With(params (string Key, string Value)[] settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings.Select(x => new KeyValuePair<string, string?>(x.Key, x.Value))).Build();

    [Fact]
    public void a_single_database_deployment_has_no_shards()
    {
        var configuration = With(("ConnectionStrings:Catalog", "Host=a"), ("Database:ReadFromStandby", "false"));
        Assert.Empty(Database.Shards(configuration));
        Assert.False(Database.IsSharded(configuration));
    }

    [Fact]
    public void each_entry_is_a_shard_named_by_its_key()
    {
        var shards = Database.Shards(With(("Sharding:Databases:shard1", "Host=b;Database=one"), ("Sharding:Databases:shard2", "Host=c;Database=two"),
            ("Sharding:Databases:empty", "")));

        Assert.Equal(["shard1", "shard2"], shards.Keys.Order());
        Assert.Contains("Database=one", shards["shard1"]);
        Assert.Contains("Max Auto Prepare=64", shards["shard1"]); // the service's pooled-connection defaults apply to shards too
    }
}
