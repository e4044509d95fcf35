using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;

namespace Catalog.Tests.Reliability;

/// <summary>
/// A bounded load on running services: workers that create products and issue licenses until stopped,
/// remembering every answer and every resource acknowledged with a 201.
/// </summary>
public sealed class Load
{
    public sealed record Answer(string What, int Status, TimeSpan Took, DateTimeOffset At);

    public ConcurrentQueue<Answer> Answers { get; } = new();
    public ConcurrentBag<string> CreatedProducts { get; } = new();
    public ConcurrentBag<string> IssuedLicenses { get; } = new();

    /// <summary>A node for load tests: a rate limit far above what the load sends, so that it measures the rest.</summary>
    public static readonly Dictionary<string, string> Unlimited = new()
    {
        ["RateLimit__PermitsPerSecond"] = "1000000",
        ["RateLimit__Burst"] = "1000000"
    };

    public static HttpClient ClientFor(string baseUrl, string key)
    {
        var http = new HttpClient { BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return http;
    }

    /// <summary>Runs <paramref name="workers"/> loops, spread over the clients, until the token is cancelled.</summary>
    public Task Run(IReadOnlyList<HttpClient> clients, int workers, CancellationToken stop) =>
        Task.WhenAll(Enumerable.Range(0, workers).Select(w => Worker(clients[w % clients.Count], w, stop)));

    private async Task Worker(HttpClient http, int worker, CancellationToken stop)
    {
        string? productId = null;
        for (var i = 0; !stop.IsCancellationRequested; i++)
        {
            var issue = productId is not null && i % 2 == 1;
            var watch = Stopwatch.StartNew();
            int status;
            try
            {
                using var response = issue
                    ? await http.PostAsync($"/api/v1/products/{productId}/licenses", null)
                    : await http.PostAsync("/api/v1/products", new StringContent(
                        $$"""{"name":"Load {{worker}}-{{i}}","code":"load-{{worker}}-{{i}}-{{Guid.NewGuid():N}}"}""", Encoding.UTF8, "application/json"));
                status = (int)response.StatusCode;
                if (status == 201)
                {
                    var id = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("data").GetProperty("id").GetString()!;
                    if (issue) IssuedLicenses.Add(id);
                    else { CreatedProducts.Add(id); productId = id; }
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                status = 0; // no answer: the connection failed (the service was killed) or timed out
                if (stop.IsCancellationRequested) break;
                await Task.Delay(50);
            }
            Answers.Enqueue(new Answer(issue ? "issue" : "create", status, watch.Elapsed, DateTimeOffset.UtcNow));
            if (status != 201) await Task.Delay(20, CancellationToken.None); // as a client would back off
        }
    }
}
