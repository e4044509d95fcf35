using Npgsql;

namespace Catalog.Tests.Reliability;

/// <summary>A database of a test's own, its schema applied by `db-apply` as an operator does, dropped after.</summary>
public sealed class OwnDatabase : IAsyncDisposable
{
    private readonly EmptyDatabase _database;
    public string ConnectionString => _database.ConnectionString;

    private OwnDatabase(EmptyDatabase database) => _database = database;

    public static async Task<OwnDatabase> Create(string purpose)
    {
        var database = new OwnDatabase(await EmptyDatabase.Create(purpose));
        var applied = await CommandLineRunner.Run(["db-apply"], new Dictionary<string, string> { ["ConnectionStrings__Catalog"] = database.ConnectionString });
        Assert.True(applied.ExitCode == 0, applied.Output + applied.Error);
        return database;
    }

    /// <summary>An account and an API key with every scope, made on the command line.</summary>
    public async Task<string> AKey(IDictionary<string, string> environment) => (await AClient(environment)).Key;

    /// <summary>An account and an API key with every scope, made on the command line.</summary>
    public async Task<Client> AClient(IDictionary<string, string> environment)
    {
        var account = (await CommandLineRunner.Run(["accounts", "create", "--name", "Nodes", "--json"], environment)).LastJson.GetProperty("id").GetString()!;
        var created = await CommandLineRunner.Run(["api-keys", "create", "--account", account, "--scopes", string.Join(",", ApiTest.AllScopes), "--json"], environment);
        Assert.True(created.ExitCode == 0, created.Output + created.Error);
        return new Client(Guid.Parse(account), created.LastJson.GetProperty("id").GetGuid(), created.LastJson.GetProperty("key").GetString()!);
    }

    /// <summary>The node number of the live node Wolverine's leader gave the agent to, if any.</summary>
    public Task<int?> NodeRunning(string agent) => NodeRunning(ConnectionString, agent);

    /// <summary>The same, in the database that holds Wolverine's node table (with shards, the directory).</summary>
    public static async Task<int?> NodeRunning(string connectionString, string agent)
    {
        await using var connection = await ApiTest.OpenDatabase(connectionString);
        await using var command = new NpgsqlCommand(
            "select n.node_number from catalog.wolverine_node_assignments a join catalog.wolverine_nodes n on n.id = a.node_id where a.id like @agent",
            connection);
        command.Parameters.AddWithValue("agent", agent);
        return await command.ExecuteScalarAsync() is int number ? number : null;
    }

    /// <summary>How many assignments of the agent the cluster's table holds.</summary>
    public async Task<long> Assignments(string agent)
    {
        await using var connection = await ApiTest.OpenDatabase(ConnectionString);
        await using var command = new NpgsqlCommand("select count(*) from catalog.wolverine_node_assignments where id like @agent", connection);
        command.Parameters.AddWithValue("agent", agent);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    public ValueTask DisposeAsync() => _database.DisposeAsync();
}

/// <summary>A database of a test's own, empty (the test applies its schema), dropped after.</summary>
public sealed class EmptyDatabase : IAsyncDisposable
{
    private readonly string _server;
    private readonly string _name;
    public string ConnectionString { get; }

    private EmptyDatabase(string server, string name)
    {
        _server = server;
        _name = name;
        ConnectionString = new NpgsqlConnectionStringBuilder(server) { Database = name }.ConnectionString;
    }

    /// <summary>On the tests' PostgreSQL, or on the server of <paramref name="server"/> (a connection string).</summary>
    public static async Task<EmptyDatabase> Create(string purpose, string? server = null)
    {
        // Made and dropped from the server's maintenance database: the tests' own exists only on their first server.
        server = new NpgsqlConnectionStringBuilder(server ?? Environment.GetEnvironmentVariable("ConnectionStrings__Catalog")!) { Database = "postgres" }.ConnectionString;
        var name = $"catalog_{purpose}_{Guid.NewGuid():N}"[..40];
        await using var connection = await ApiTest.OpenDatabase(server);
        await new NpgsqlCommand($"create database {name}", connection).ExecuteNonQueryAsync();
        return new EmptyDatabase(server, name);
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var connection = await ApiTest.OpenDatabase(_server);
        await new NpgsqlCommand($"drop database if exists {_name} with (force)", connection).ExecuteNonQueryAsync();
    }
}
