namespace Catalog.Tests;

/// <summary>The JavaScript tools in tests/tools (installed by scripts/test with npm ci).</summary>
public static class TestTools
{
    /// <summary>The checkout this test run was built from: the folder holding Catalog.sln.</summary>
    public static string RepositoryRoot
    {
        get
        {
            var root = new DirectoryInfo(AppContext.BaseDirectory);
            while (root is not null && !File.Exists(Path.Combine(root.FullName, "Catalog.sln"))) root = root.Parent;
            return root!.FullName;
        }
    }

    /// <summary>Runs scripts/postgres.sh as a command (stop, resume, standby) on the tests' clusters; its output.</summary>
    public static async Task<string> Postgres(params string[] args)
    {
        var script = Path.Combine(RepositoryRoot, "scripts", "postgres.sh");
        using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("bash", [script, .. args])
        {
            RedirectStandardOutput = true, RedirectStandardError = true
        })!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"scripts/postgres.sh {string.Join(" ", args)}: {error}");
        return (await output).Trim();
    }

    public static string Directory => Path.Combine(RepositoryRoot, "tests", "tools");

    public static string Bin(string name)
    {
        var path = Path.Combine(Directory, "node_modules", ".bin", name);
        Assert.True(File.Exists(path), $"{path} is missing: run scripts/test, which runs npm ci in tests/tools");
        return path;
    }
}

/// <summary>
/// The mode this run's shared host is in: one database, or shards (<c>Sharding__Databases__*</c> set, as the second
/// run of scripts/test does). Every API test runs in both.
/// </summary>
public static class StorageMode
{
    /// <summary>The shard databases' connection strings, by name; empty with one database.</summary>
    public static IReadOnlyDictionary<string, string> Shards { get; } = Environment.GetEnvironmentVariables().Keys.Cast<string>()
        .Where(x => x.StartsWith("Sharding__Databases__", StringComparison.Ordinal))
        .ToDictionary(x => x["Sharding__Databases__".Length..], x => Environment.GetEnvironmentVariable(x)!);

    public static bool Sharded => Shards.Count > 0;

    /// <summary>Every database that holds accounts' events and documents: the one database, or each shard.</summary>
    public static IEnumerable<string> AccountDatabases =>
        Sharded ? Shards.Values : [Environment.GetEnvironmentVariable("ConnectionStrings__Catalog")!];
}

/// <summary>
/// A test that stops, starts or copies PostgreSQL clusters (an outage, standbys, a second cluster): it needs the
/// private cluster scripts/test starts (CATALOG_TEST_CLUSTER), and without it it is skipped, saying so, never failed.
/// </summary>
public sealed class ClusterFactAttribute : FactAttribute
{
    public static string? Cluster => Environment.GetEnvironmentVariable("CATALOG_TEST_CLUSTER") is { Length: > 0 } name ? name : null;

    public ClusterFactAttribute()
    {
        if (Cluster is null) Skip = "stops and starts its own PostgreSQL clusters: run it with scripts/test, which starts them";
    }
}

/// <summary>
/// A test that reads one database's tables or plans directly (an index's plan, a transaction held open on the
/// tables): its subject is the single-database layout, and with shards it is skipped, saying so.
/// </summary>
public sealed class SingleDatabaseFactAttribute : FactAttribute
{
    public SingleDatabaseFactAttribute()
    {
        if (StorageMode.Sharded) Skip = "reads the single database's own tables or plans; the sharded run covers the behaviour through the API";
    }
}
