namespace Catalog.Tests.Docs;

/// <summary>
/// The Wolverine code committed in src/Catalog/Internal/Generated is what the endpoints generate today: a stale
/// copy would run yesterday's pipeline (a new Validate step silently skipped, say). Fix with scripts/codegen.
/// </summary>
public class GeneratedCode
{
    [Theory]
    [InlineData("Generated", false)]
    [InlineData("GeneratedSharded", true)] // with shards, idempotency keys are claimed apart from the transaction
    public async Task the_committed_generated_code_is_current(string folder, bool sharded)
    {
        var fresh = Path.Combine(Path.GetTempPath(), $"catalog-codegen-{Guid.NewGuid():N}");
        try
        {
            var environment = new Dictionary<string, string> { ["Catalog__GeneratedCodePath"] = fresh };
            if (sharded) environment["Sharding__Databases__codegen"] = "Host=127.0.0.1;Port=1;Database=none";
            var result = await CommandLineRunner.Run(["codegen", "write"], environment);
            Assert.True(result.ExitCode == 0, result.Output + result.Error);

            var committed = Path.Combine(TestTools.RepositoryRoot, "src", "Catalog", "Internal", folder);
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

    /// <summary>
    /// A write that sends no message commits through a plain Marten session (Http/WriteSessions.cs), not Wolverine's
    /// outboxed one with its message context, listeners and two flushes of an outbox no write here uses. Read in the
    /// committed code, which the test above holds to what the endpoints generate.
    /// </summary>
    [Theory]
    [InlineData("Generated")]
    [InlineData("GeneratedSharded")]
    public void every_write_commits_through_a_plain_session(string folder)
    {
        var handlers = Path.Combine(TestTools.RepositoryRoot, "src", "Catalog", "Internal", folder, "WolverineHandlers");
        var writes = Directory.GetFiles(handlers, "*.cs")
            .Where(x => Path.GetFileName(x).Split('_')[0] is "POST" or "PATCH" or "DELETE")
            .Select(x => (Name: Path.GetFileName(x), Text: File.ReadAllText(x)))
            .Where(x => x.Text.Contains("documentSession.SaveChangesAsync"))
            .ToList();

        Assert.True(writes.Count > 20, $"{writes.Count} writes found");
        foreach (var (name, text) in writes)
        {
            Assert.True(text.Contains("Catalog.Http.WriteSessions.Open("), $"{name} does not open its session with WriteSessions.Open");
            Assert.False(text.Contains("OutboxedSessionFactory"), $"{name} opens Wolverine's outboxed session");
            Assert.False(text.Contains("FlushOutgoingMessagesAsync"), $"{name} flushes an outbox");
        }
    }

    private static Dictionary<string, string> Files(string root) =>
        Directory.GetFiles(root, "*.cs", SearchOption.AllDirectories)
            .ToDictionary(x => Path.GetRelativePath(root, x), x => File.ReadAllText(x).ReplaceLineEndings("\n"));
}
