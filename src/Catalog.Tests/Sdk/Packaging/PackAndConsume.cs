using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Catalog.Tests.Sdk.Packaging;

/// <summary>
/// The package as a vendor consumes it: packed to a .nupkg, installed from a local folder into a throwaway project
/// that is the sample app (samples/Catalog.Licensing.Sample/Program.cs), built, and run against the service in a
/// process of its own. The app activates on its first run, checks at each start, heartbeats and holds a lease while
/// running, borrows before going offline, and then runs offline.
/// </summary>
[Collection(ServiceCollection.Name)]
public class PackAndConsume(AppFixture fixture) : SdkTest(fixture)
{
    [Fact]
    public async Task the_packed_sdk_installed_from_a_folder_runs_the_sample_app_against_the_service()
    {
        var work = AFolder();
        var feed = Directory.CreateDirectory(Path.Combine(work, "feed")).FullName;
        var app = Directory.CreateDirectory(Path.Combine(work, "app")).FullName;
        // A version of its own: the machine's package cache can never serve an older build of the same number.
        var version = "1.0.0-test." + DateTime.UtcNow.ToString("yyyyMMddHHmmss") + "." + Guid.NewGuid().ToString("N")[..6];

        var packed = await Dotnet(TestTools.RepositoryRoot, "pack", Path.Combine("src", "Catalog.Licensing", "Catalog.Licensing.csproj"),
            "-c", "Release", "-o", feed, $"-p:Version={version}");
        Assert.True(packed.ExitCode == 0, packed.Output);
        Assert.DoesNotContain(" warning ", packed.Output);
        Assert.True(File.Exists(Path.Combine(feed, $"Catalog.Licensing.{version}.nupkg")), packed.Output);

        await File.WriteAllTextAsync(Path.Combine(app, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="local" value="{feed}" />
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
              </packageSources>
            </configuration>
            """);
        await File.WriteAllTextAsync(Path.Combine(app, "VendorApp.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Catalog.Licensing" Version="{version}" />
              </ItemGroup>
            </Project>
            """);
        // Outside the repository's MSBuild files: nothing of ours leaks in but the package.
        await File.WriteAllTextAsync(Path.Combine(work, "Directory.Build.props"), "<Project />");
        await File.WriteAllTextAsync(Path.Combine(work, "Directory.Packages.props"), "<Project />");
        File.Copy(Path.Combine(TestTools.RepositoryRoot, "samples", "Catalog.Licensing.Sample", "Program.cs"), Path.Combine(app, "Program.cs"));
        var built = await Dotnet(app, "build", "-c", "Release", "-o", Path.Combine(work, "out"));
        Assert.True(built.ExitCode == 0, built.Output);
        // Trimmed, as an app that ships small does: the trimmer's analysis of the app, the SDK and its dependencies
        // finds nothing to warn about (the SDK has no reflection: its JSON is source-generated).
        var trimmed = await Dotnet(app, "publish", "-c", "Release", "-r", RuntimeInformation.RuntimeIdentifier, "--self-contained",
            "-p:PublishTrimmed=true", "-p:TrimmerSingleWarn=false", "-o", Path.Combine(work, "trimmed"));
        Assert.True(trimmed.ExitCode == 0, trimmed.Output);
        Assert.DoesNotContain("warning IL", trimmed.Output);
        Assert.Contains($"catalog.licensing/{version}", await File.ReadAllTextAsync(Path.Combine(app, "obj", "project.assets.json")),
            StringComparison.OrdinalIgnoreCase);

        var licensed = await ALicensedProduct(new
        {
            name = "Floating, borrowable", maxMachines = 2, heartbeatSeconds = 60, maxConcurrent = 1, leaseSeconds = 120, maxBorrowSeconds = 7200,
        });
        await using var service = await ServiceProcess.Start();
        string[] run =
        [
            Path.Combine(work, "out", "VendorApp.dll"), "--service", service.BaseUrl, "--account", licensed.Vendor.AccountId.ToString(),
            "--product", licensed.ProductCode, "--key", licensed.License.Key, "--store", Path.Combine(work, "store"), "--run-seconds", "2", "--lease",
        ];

        var first = await Dotnet(work, run);
        Assert.True(first.ExitCode == 0, first.Output);
        var lines = first.Output.Split('\n').Select(x => x.Trim()).Where(x => x.Length > 0).ToList();
        Assert.StartsWith("check: NotActivated", lines[0]);
        Assert.StartsWith("activate: machine ", lines[1]);
        Assert.StartsWith("check: Valid until ", lines[2]);
        Assert.Contains(lines, x => x.StartsWith("running: machine ", StringComparison.Ordinal) && x.Contains("heartbeat due by 20"));
        Assert.StartsWith("offline: Valid (offline) until ", lines[^1]);

        // The second start is the trimmed build's.
        var second = await Run(Path.Combine(work, "trimmed", "VendorApp"), [.. run[1..^3], "--run-seconds", "1", "--borrow-seconds", "3600"]);
        Assert.True(second.ExitCode == 0, second.Output);
        lines = second.Output.Split('\n').Select(x => x.Trim()).Where(x => x.Length > 0).ToList();
        Assert.StartsWith("check: Valid until ", lines[0]); // at each start: no second activation
        Assert.Contains(lines, x => x.StartsWith("borrowed: until ", StringComparison.Ordinal));
        Assert.StartsWith("offline: Valid (offline) until ", lines[^1]);

        var license = await TheLicense(licensed);
        Assert.Equal((1, 1), (license.MachinesCount, license.LeasesCount)); // one machine, and the borrowed lease
    }

    private static async Task<CommandResult> Run(string executable, string[] args)
    {
        var start = new ProcessStartInfo(executable);
        foreach (var arg in args) start.ArgumentList.Add(arg);
        var result = await CommandLineRunner.RunToEnd(start, TimeSpan.FromMinutes(2));
        return result with { Output = result.Output + result.Error };
    }

    private static async Task<CommandResult> Dotnet(string directory, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        var result = await CommandLineRunner.RunToEnd(start, TimeSpan.FromMinutes(5));
        return result with { Output = result.Output + result.Error };
    }
}
