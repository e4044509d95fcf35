using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Catalog.Tests;

/// <summary>
/// The service as operators run it: its executable in a process of its own, in Production mode, on a free
/// loopback port, against the tests' database (whose schema the shared host has applied).
/// </summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    private readonly Process _process;
    public ConcurrentQueue<string> Output { get; } = new();
    public string BaseUrl { get; }
    public HttpClient Http { get; }

    private ServiceProcess(Process process, string baseUrl)
    {
        _process = process;
        BaseUrl = baseUrl;
        Http = new HttpClient { BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromSeconds(30) };
    }

    /// <summary>Starts the service and waits until <paramref name="waitFor"/> answers 200 (ready: it serves; live: it runs).</summary>
    public static async Task<ServiceProcess> Start(IDictionary<string, string>? environment = null, string waitFor = "/health/ready")
    {
        var port = FreePort();
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(CommandLineRunner.ServiceExecutable());
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        // The tests' webhook receivers listen on loopback, which the egress guard refuses by default.
        start.Environment["Webhooks__AllowPrivateNetworks"] = "true";
        // Its start's JIT profile (Hosting/FastStart.cs) goes to this test run's own cache, not the user's.
        start.Environment["XDG_CACHE_HOME"] = TestRunCache;
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) start.Environment[name] = value;

        var process = Process.Start(start)!;
        var service = new ServiceProcess(process, $"http://127.0.0.1:{port}");
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) service.Output.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) service.Output.Enqueue(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            if (process.HasExited) throw new InvalidOperationException("The service exited: " + string.Join("\n", service.Output));
            try
            {
                if ((await service.Http.GetAsync(waitFor)).IsSuccessStatusCode) return service;
            }
            catch (HttpRequestException) { }
            if (DateTime.UtcNow > deadline) throw new TimeoutException("The service did not become ready: " + string.Join("\n", service.Output));
            await Task.Delay(100);
        }
    }

    /// <summary>SIGTERM, as a supervisor stops it: the host shuts down gracefully and the process exits.</summary>
    public async Task Stop()
    {
        using (var term = Process.Start("kill", ["-TERM", _process.Id.ToString()])) await term.WaitForExitAsync();
        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
    }

    private static readonly string TestRunCache = Directory.CreateTempSubdirectory("catalog-test-cache-").FullName;

    /// <summary>kill -9: no shutdown, no flush, as in a crash.</summary>
    public void Kill() => _process.Kill(entireProcessTree: true);

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        Http.Dispose();
        _process.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
