namespace Catalog.Tests.Sdk;

/// <summary>The README's SDK code is the sample's own, which the packaging test builds and runs: it cannot drift.</summary>
public class TheGuide
{
    [Fact]
    public void the_readme_shows_the_samples_code_verbatim_and_links_the_sdks_guide()
    {
        var sample = File.ReadAllText(Path.Combine(TestTools.RepositoryRoot, "samples", "Catalog.Licensing.Sample", "Program.cs"));
        const string begin = "// README:begin\n";
        var code = sample[(sample.IndexOf(begin, StringComparison.Ordinal) + begin.Length)..sample.IndexOf("// README:end", StringComparison.Ordinal)];
        Assert.Contains("licensing.CheckAsync()", code);
        var readme = File.ReadAllText(Path.Combine(TestTools.RepositoryRoot, "README.md"));
        Assert.Contains("```csharp\n" + code + "```", readme);
        Assert.Contains("(docs/sdk.md)", readme);
        Assert.True(File.Exists(Path.Combine(TestTools.RepositoryRoot, "docs", "sdk.md")));
    }
}
