using System.Diagnostics;
using Catalog.Tests.GeneratedClient;
using Catalog.Tests.GeneratedClient.Models;
using Microsoft.Kiota.Abstractions.Authentication;
using Microsoft.Kiota.Http.HttpClientLibrary;

namespace Catalog.Tests.Docs;

/// <summary>
/// The OpenAPI document is for generated clients too. Kiota (a third-party generator, a dotnet tool pinned in
/// .config/dotnet-tools.json) makes a C# client from /openapi/v1.json, as a new user would; that client is committed
/// in GeneratedClient/ so that it compiles with the tests, and a test fails while it differs from what Kiota makes
/// of today's document (regenerate with <c>CATALOG_WRITE_CLIENT=1 scripts/test --filter GeneratedClient</c>). The
/// walk-through then uses nothing but that client against the real host.
/// </summary>
public class GeneratedClient(AppFixture fixture) : ApiTest(fixture)
{
    private static string Committed => Path.Combine(TestTools.RepositoryRoot, "src", "Catalog.Tests", "GeneratedClient");

    [Fact]
    public async Task the_committed_client_is_what_kiota_generates_from_the_document()
    {
        var document = Path.Combine(Path.GetTempPath(), $"catalog-openapi-{Guid.NewGuid():N}.json");
        var fresh = Path.Combine(Path.GetTempPath(), $"catalog-client-{Guid.NewGuid():N}");
        await File.WriteAllTextAsync(document, (await Send("GET", "/openapi/v1.json", null)).Text);
        try
        {
            var write = Environment.GetEnvironmentVariable("CATALOG_WRITE_CLIENT") == "1";
            var output = await Kiota(document, write ? Committed : fresh);
            if (write) return;

            var expected = Files(fresh);
            var actual = Files(Committed);
            Assert.True(expected.Count > 20, $"kiota wrote {expected.Count} files: {output}");
            Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
            foreach (var (name, text) in expected)
                Assert.True(text == actual[name], $"{name} is stale: run CATALOG_WRITE_CLIENT=1 scripts/test --filter GeneratedClient");
        }
        finally
        {
            File.Delete(document);
            if (Directory.Exists(fresh)) Directory.Delete(fresh, recursive: true);
        }
    }

    [Fact]
    public async Task a_client_generated_by_kiota_creates_lists_patches_issues_validates_and_sees_a_409()
    {
        var client = await AClient();
        var catalog = ClientFor(client);

        var created = (await catalog.Api.V1.Products.PostAsync(new CreateProduct
        {
            Name = "Desktop App Pro", Code = "desktop-app-pro", KeyPrefix = "DSK",
            Metadata = new CreateProduct_metadata { AdditionalData = { ["category"] = "productivity" } }
        }))!.Data!;
        var listed = (await catalog.Api.V1.Products.GetAsync(x => x.QueryParameters.Limit = 10))!;
        var patched = (await catalog.Api.V1.Products[created.Id!.Value].PatchAsync(new UpdateProduct { Name = "Desktop App Pro 2" }))!.Data!;
        var license = (await catalog.Api.V1.Products[created.Id.Value].Licenses.PostAsync(new IssueLicense()))!.Data!;
        var validation = (await catalog.Api.V1.Licenses.Validate.PostAsync(new ValidateLicense { Key = license.Key }))!.Data!;
        var conflict = await Assert.ThrowsAsync<ProblemDetails>(() =>
            catalog.Api.V1.Products.PostAsync(new CreateProduct { Name = "Again", Code = "DESKTOP-APP-PRO" }));

        Assert.Equal("desktop-app-pro", created.Code);
        Assert.Equal(created.Id, Assert.Single(listed.Data!).Id);
        Assert.False(listed.Pagination!.HasMore);
        Assert.Equal(("Desktop App Pro 2", "DSK", "desktop-app-pro"), (patched.Name, patched.KeyPrefix, patched.Code));
        Assert.Equal("productivity", patched.Metadata!.AdditionalData["category"]?.ToString());
        Assert.StartsWith("DSK-", license.Key);
        Assert.Equal(License_status.Active, license.Status);
        Assert.Equal((true, LicenseValidation_code.VALID), (validation.Valid, validation.Code));
        Assert.Equal(409, conflict.ResponseStatusCode);
        Assert.Contains("DESKTOP-APP-PRO", conflict.Detail);
    }

    private CatalogClient ClientFor(Client client)
    {
        var http = Host.Server.CreateClient();
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", client.Key);
        return new CatalogClient(new HttpClientRequestAdapter(new AnonymousAuthenticationProvider(), httpClient: http)
        {
            BaseUrl = http.BaseAddress!.ToString().TrimEnd('/')
        });
    }

    private static async Task<string> Kiota(string document, string output)
    {
        var start = new ProcessStartInfo("dotnet",
        [
            "kiota", "generate", "--language", "CSharp", "--openapi", document, "--output", output,
            "--class-name", "CatalogClient", "--namespace-name", "Catalog.Tests.GeneratedClient",
            "--exclude-backward-compatible", "--clean-output", "--log-level", "Warning"
        ])
        {
            WorkingDirectory = TestTools.RepositoryRoot, RedirectStandardOutput = true, RedirectStandardError = true
        };
        start.Environment["KIOTA_TUTORIAL_ENABLED"] = "false";
        start.Environment["KIOTA_OFFLINE_ENABLED"] = "true";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromMinutes(3)).Token);
        var text = await stdout + await stderr;
        Assert.True(process.ExitCode == 0, text);
        return text;
    }

    /// <summary>The generated C# files; Kiota's lock file and log name the temporary document, so they are not compared.</summary>
    private static Dictionary<string, string> Files(string root) =>
        Directory.GetFiles(root, "*.cs", SearchOption.AllDirectories)
            .ToDictionary(x => Path.GetRelativePath(root, x), x => File.ReadAllText(x).ReplaceLineEndings("\n"));
}
