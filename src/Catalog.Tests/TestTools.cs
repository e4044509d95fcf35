namespace Catalog.Tests;

/// <summary>The JavaScript tools in tests/tools (installed by scripts/test with npm ci).</summary>
public static class TestTools
{
    public static string Directory
    {
        get
        {
            var root = new DirectoryInfo(AppContext.BaseDirectory);
            while (root is not null && !File.Exists(Path.Combine(root.FullName, "Catalog.sln"))) root = root.Parent;
            return Path.Combine(root!.FullName, "tests", "tools");
        }
    }

    public static string Bin(string name)
    {
        var path = Path.Combine(Directory, "node_modules", ".bin", name);
        Assert.True(File.Exists(path), $"{path} is missing: run scripts/test, which runs npm ci in tests/tools");
        return path;
    }
}
