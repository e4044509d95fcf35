using System.Collections.Concurrent;
using System.Net;
using System.Net.Http;
using Catalog.Licensing;
using Alba;

namespace Catalog.Tests.Sdk;

/// <summary>
/// The SDK against the service the other tests use (the shared host, through its in-memory handler), with the network
/// between them in the test's hands (<see cref="Network"/>), the SDK's clock the service's (<see cref="SdkClock"/>), and
/// its store a fresh folder.
/// </summary>
public abstract class SdkTest(AppFixture fixture) : ApiTest(fixture), IDisposable
{
    private readonly List<string> _folders = [];
    private readonly List<LicensingClient> _clients = [];

    /// <summary>A product, a policy with these terms, and a license under it: what a vendor sets up before shipping.</summary>
    protected async Task<LicensedProduct> ALicensedProduct(object? policy = null, object? license = null)
    {
        var vendor = await AClient();
        var product = await CreateProduct(vendor, new { name = "Desktop App Pro", code = "desktop-app-" + Guid.NewGuid().ToString("N")[..8] });
        Guid? policyId = policy is null ? null : (await APolicy(vendor, product.Id, policy)).Id;
        var issued = await Post($"/api/v1/products/{product.Id}/licenses", vendor, Merge(license, policyId));
        Assert.True(issued.Status == 201, issued.ToString());
        return new LicensedProduct(vendor, product.Id, product.Code, issued.As<Catalog.Licenses.LicenseDetails>());
    }

    private static Dictionary<string, object?> Merge(object? license, Guid? policyId)
    {
        var fields = license is null ? [] : JsonSerializer.Deserialize<Dictionary<string, object?>>(JsonSerializer.Serialize(license))!;
        if (policyId is { } id) fields["policyId"] = id;
        return fields;
    }

    /// <summary>The SDK as the vendor's software configures it, for this machine, through <paramref name="network"/>;
    /// <paramref name="configure"/> changes any option after (a margin, a timeout, a store of its own).</summary>
    protected LicensingClient AnSdk(LicensedProduct licensed, Network network, string fingerprint = "machine-1", SdkClock? clock = null,
        string? pinnedJwks = null, string? store = null, string? productCode = null, Action<LicensingOptions>? configure = null)
    {
        var options = new LicensingOptions
        {
            ServiceUrl = new Uri("http://localhost"),
            AccountId = licensed.Vendor.AccountId,
            PinnedJwks = pinnedJwks,
            ProductCode = productCode ?? licensed.ProductCode,
            LicenseKey = licensed.License.Key,
            Fingerprint = fingerprint,
            MachineName = "Test machine",
            Store = new FileLicenseStore(store ?? AFolder()),
            HttpHandler = network,
            TimeProvider = clock ?? new SdkClock(Fixture.Clock),
        };
        configure?.Invoke(options);
        var client = new LicensingClient(options);
        _clients.Add(client);
        return client;
    }

    /// <summary>The network between the SDK and the shared host.</summary>
    protected Network TheNetwork() => new(Host.Server.CreateHandler(), Fixture.Clock);

    /// <summary>A fresh folder for a store (deleted after the test).</summary>
    protected string AFolder()
    {
        var folder = Path.Combine(Path.GetTempPath(), "catalog-sdk-" + Guid.NewGuid().ToString("N"));
        _folders.Add(folder);
        return folder;
    }

    /// <summary>The license as the vendor sees it now.</summary>
    protected async Task<Catalog.Licenses.LicenseDetails> TheLicense(LicensedProduct licensed) =>
        (await Get($"/api/v1/licenses/{licensed.License.Id}", licensed.Vendor)).As<Catalog.Licenses.LicenseDetails>();

    public void Dispose()
    {
        foreach (var client in _clients) client.Dispose();
        foreach (var folder in _folders.Where(Directory.Exists)) Directory.Delete(folder, recursive: true);
    }
}

public sealed record LicensedProduct(Client Vendor, Guid ProductId, string ProductCode, Catalog.Licenses.LicenseDetails License);

/// <summary>
/// The wire between the SDK and the service, as a test wants it: up or down (every request fails as with no network),
/// an answer of its own for some requests (a fake server, a 503), an answer lost after the service did the work; and
/// every request seen, with its Idempotency-Key. The service's answers carry its clock in <c>Date</c>, as Kestrel's do
/// (the in-memory server sends none).
/// </summary>
public sealed class Network(HttpMessageHandler service, TimeProvider serviceClock) : DelegatingHandler(service)
{
    public volatile bool Down;

    /// <summary>Answers instead of the service when it returns one (null: the service answers).</summary>
    public Func<HttpRequestMessage, HttpResponseMessage?>? Fake;

    /// <summary>How long every request hangs before it goes through (a network that drops packets).</summary>
    public TimeSpan Hang = TimeSpan.Zero;

    /// <summary>The service does the work, then the answer is lost (the network drops it) when this says so.</summary>
    public Func<HttpRequestMessage, bool>? LoseAnswer;

    public ConcurrentQueue<(HttpMethod Method, string Path, string? IdempotencyKey)> Seen { get; } = new();

    public IEnumerable<string> PathsSeen => Seen.Select(x => $"{x.Method} {x.Path}");

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Seen.Enqueue((request.Method, request.RequestUri!.AbsolutePath,
            request.Headers.TryGetValues("Idempotency-Key", out var keys) ? keys.Single() : null));
        if (Down) throw new HttpRequestException("No route to host (the test's network is down)");
        if (Hang > TimeSpan.Zero) await Task.Delay(Hang, cancellationToken);
        if (Fake?.Invoke(request) is { } faked) return faked;
        var response = await base.SendAsync(request, cancellationToken);
        response.Headers.Date ??= serviceClock.GetUtcNow();
        if (LoseAnswer?.Invoke(request) == true)
        {
            response.Dispose();
            throw new HttpRequestException("Connection reset (the test's network lost the answer)");
        }
        return response;
    }

    public static HttpResponseMessage Json(HttpStatusCode status, string json, Action<HttpResponseMessage>? configure = null)
    {
        var response = new HttpResponseMessage(status) { Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json") };
        configure?.Invoke(response);
        return response;
    }
}

/// <summary>
/// The SDK's clock: the service's (the shared host's movable clock) plus an offset of the machine's own (a clock set
/// back), with its timers run <see cref="Speed"/> times faster than real time, so that a keep-alive loop that waits
/// "30 seconds" waits 30 ms while the test moves the service's clock.
/// </summary>
public sealed class SdkClock(MovableClock service, double speed = 1) : TimeProvider
{
    private long _offsetTicks;

    public double Speed => speed;

    public override DateTimeOffset GetUtcNow() => service.GetUtcNow() + TimeSpan.FromTicks(Interlocked.Read(ref _offsetTicks));

    /// <summary>The machine's clock set forward (positive) or back (negative), the service's unchanged.</summary>
    public void Skew(TimeSpan by) => Interlocked.Add(ref _offsetTicks, by.Ticks);

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        base.CreateTimer(callback, state, Scale(dueTime), Scale(period));

    private TimeSpan Scale(TimeSpan span) =>
        span == Timeout.InfiniteTimeSpan || span <= TimeSpan.Zero ? span : TimeSpan.FromTicks(Math.Max(1, (long)(span.Ticks / speed)));
}
