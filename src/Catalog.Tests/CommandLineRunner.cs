using System.Diagnostics;

namespace Catalog.Tests;

public sealed record CommandResult(int ExitCode, string Output, string Error)
{
    public JsonElement LastJson =>
        JsonDocument.Parse(Output.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1]).RootElement;
}

/// <summary>Runs the service's executable as an operator does, against the tests' database.</summary>
public static class CommandLineRunner
{
    public static Task<CommandResult> Run(params string[] args) => Run(args, new Dictionary<string, string>());

    public static async Task<CommandResult> Run(string[] args, IDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(ServiceExecutable());
        foreach (var arg in args) start.ArgumentList.Add(arg);
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        start.Environment["DOTNET_ENVIRONMENT"] = "Development";
        foreach (var (name, value) in environment) start.Environment[name] = value;
        return await RunToEnd(start, TimeSpan.FromSeconds(60));
    }

    /// <summary>Runs a process to its end, its output and error read apart; killed (and a TimeoutException) past the limit.</summary>
    public static async Task<CommandResult> RunToEnd(ProcessStartInfo start, TimeSpan limit)
    {
        start.RedirectStandardOutput = start.RedirectStandardError = true;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(limit);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            // Never left behind: a command that does not end would go on using the tests' database.
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"'{start.FileName} {string.Join(" ", start.ArgumentList)}' did not end within {limit}");
        }
        return new CommandResult(process.ExitCode, await output, await error);
    }

    /// <summary>Catalog.dll as built for this test assembly's configuration.</summary>
    public static string ServiceExecutable()
    {
        var here = new DirectoryInfo(AppContext.BaseDirectory);
        var configuration = here.Parent!.Name; // bin/<Configuration>/net10.0
        var path = Path.Combine(TestTools.RepositoryRoot, "src", "Catalog", "bin", configuration, "net10.0", "Catalog.dll");
        Assert.True(File.Exists(path), $"{path} was not built");
        return path;
    }
}
