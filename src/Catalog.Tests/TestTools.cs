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

    public static string Directory => Path.Combine(RepositoryRoot, "tests", "tools");

    public static string Bin(string name)
    {
        var path = Path.Combine(Directory, "node_modules", ".bin", name);
        Assert.True(File.Exists(path), $"{path} is missing: run scripts/test, which runs npm ci in tests/tools");
        return path;
    }
}
