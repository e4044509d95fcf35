using Catalog.Hosting;
using JasperFx.CommandLine;



namespace Catalog.Health;

public class HealthCheckInput
{
    [Description("The URL to ask; by default /health/ready on the first address of ASPNETCORE_URLS")]
    public string? UrlFlag { get; set; }
}

/// <summary>For container health checks, where no curl is installed: exit 0 when the service answers ready.</summary>
[Description("Ask a running service whether it is ready (exit 0) or not (exit 1)", Name = "healthcheck")]
public class HealthCheckCommand : JasperFxAsyncCommand<HealthCheckInput>
{
    public override async Task<bool> Execute(HealthCheckInput input)
    {
        var address = (Environment.GetEnvironmentVariable("ASPNETCORE_URLS") ?? "http://localhost:8080").Split(';')[0]
            .Replace("://+", "://127.0.0.1").Replace("://*", "://127.0.0.1").Replace("://0.0.0.0", "://127.0.0.1");
        var url = input.UrlFlag ?? address.TrimEnd('/') + "/health/ready";
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(3) };
            var response = await http.GetAsync(url);
            return response.IsSuccessStatusCode || CommandOutput.Fail($"{url} answered {(int)response.StatusCode}");
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return CommandOutput.Fail($"{url} did not answer: {e.Message}");
        }
    }
}
