namespace Catalog.Tests.Docs;

/// <summary>
/// The Wolverine code committed in src/Catalog/Internal/Generated is what the endpoints generate today: a stale
/// copy would run yesterday's pipeline (a new Validate step silently skipped, say). Fix with scripts/codegen.
/// </summary>
public class GeneratedCode
{
    [Fact]
    public async Task the_committed_generated_code_is_current()
    {
        var fresh = Path.Combine(Path.GetTempPath(), $"catalog-codegen-{Guid.NewGuid():N}");
        try
        {
            var result = await CommandLineRunner.Run(["codegen", "write"], new Dictionary<string, string> { ["Catalog__GeneratedCodePath"] = fresh });
            Assert.True(result.ExitCode == 0, result.Output + result.Error);

            var committed = Path.Combine(TestTools.RepositoryRoot, "src", "Catalog", "Internal", "Generated");
            var expected = Files(fresh);
            var actual = Files(committed);
            Assert.True(expected.Count > 10, $"codegen wrote {expected.Count} files");
            Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
            foreach (var (name, text) in expected)
                Assert.True(text == actual[name], $"{name} is stale: run scripts/codegen");
        }
        finally
        {
            if (Directory.Exists(fresh)) Directory.Delete(fresh, recursive: true);
        }
    }

    private static Dictionary<string, string> Files(string root) =>
        Directory.GetFiles(root, "*.cs", SearchOption.AllDirectories)
            .ToDictionary(x => Path.GetRelativePath(root, x), x => File.ReadAllText(x).ReplaceLineEndings("\n"));
}
