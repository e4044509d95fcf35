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
