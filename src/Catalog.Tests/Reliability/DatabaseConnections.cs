using Catalog.Conventions;
using Catalog.Hosting;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Catalog.Tests.Reliability;

/// <summary>
/// The service's connections prepare the statements they repeat and skip Npgsql's DISCARD ALL on every return to
/// the pool (bench/README.md: half of PostgreSQL's work per request), unless the operator's connection string
/// decides otherwise.
/// </summary>
public class DatabaseConnections(AppFixture fixture) : ApiTest(fixture)
{
    [Fact]
    public async Task the_service_prepares_statements_and_does_not_reset_pooled_connections()
    {
        var store = Host.Services.GetRequiredService<IDocumentStore>();
        await using var connection = store.Storage.Database.CreateConnection();
        var settings = new NpgsqlConnectionStringBuilder(connection.ConnectionString);

        Assert.Equal(64, settings.MaxAutoPrepare);
        Assert.True(settings.NoResetOnClose);
        // And it still serves with them.
        var client = await AClient();
        await CreateProduct(client);
        await CreateProduct(client);
    }

    [Fact]
    public void what_the_connection_string_sets_wins()
    {
        var settings = new NpgsqlConnectionStringBuilder(
            Database.WithServiceDefaults("Host=db;Database=catalog;Max Auto Prepare=0;No Reset On Close=false"));

        Assert.Equal(0, settings.MaxAutoPrepare);
        Assert.False(settings.NoResetOnClose);
        Assert.Equal("db", settings.Host);
    }

    [Fact]
    public void with_several_hosts_every_connection_goes_to_the_primary_unless_the_string_says_otherwise()
    {
        Assert.Equal(TargetSessionAttributes.Primary.ToString(), new NpgsqlConnectionStringBuilder(
            Database.WithServiceDefaults("Host=a:5432,b:5432;Database=catalog")).TargetSessionAttributes, ignoreCase: true);
        Assert.Equal("prefer-standby", new NpgsqlConnectionStringBuilder(
            Database.WithServiceDefaults("Host=a,b;Database=catalog;Target Session Attributes=prefer-standby")).TargetSessionAttributes);
        Assert.Null(new NpgsqlConnectionStringBuilder(Database.WithServiceDefaults("Host=a;Database=catalog")).TargetSessionAttributes);
    }
}
