using System.Collections.Concurrent;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Catalog.Tests.Webhooks;

/// <summary>A real HTTP server on loopback that records what it receives and fails the first N requests.</summary>
public sealed class Receiver : IAsyncDisposable
{
    public sealed record Received(string Body, string? Signature, DateTimeOffset At);

    private readonly WebApplication _app;
    private int _failuresLeft;

    public ConcurrentQueue<Received> Requests { get; } = new();
    public string Url { get; private set; } = "";

    private Receiver(WebApplication app, int failFirst)
    {
        _app = app;
        _failuresLeft = failFirst;
    }

    /// <param name="endlessAnswer">Answer 200 with a body that never ends: a caller that reads it waits forever.</param>
    public static async Task<Receiver> Start(int failFirst = 0, bool endlessAnswer = false)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new Receiver(app, failFirst);
        app.MapPost("/hook", async (HttpContext context) =>
        {
            using var reader = new StreamReader(context.Request.Body);
            receiver.Requests.Enqueue(new Received(await reader.ReadToEndAsync(),
                context.Request.Headers["Catalog-Signature"].ToString(), DateTimeOffset.UtcNow));
            if (Interlocked.Decrement(ref receiver._failuresLeft) >= 0) return Results.StatusCode(503);
            if (!endlessAnswer) return Results.Ok();
            return Results.Stream(async body =>
            {
                try
                {
                    await body.WriteAsync(new byte[64 * 1024], context.RequestAborted);
                    await body.FlushAsync(context.RequestAborted);
                    await Task.Delay(Timeout.Infinite, context.RequestAborted);
                }
                catch (Exception e) when (e is OperationCanceledException or IOException) { } // the caller hung up
            }, "application/octet-stream");
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        receiver.Url = address + "/hook";
        return receiver;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>
/// A receiver that accepts connections, reads each request's head and never answers: the worst a receiver can do
/// to a sender. It counts the requests it holds per path, now and at most.
/// </summary>
public sealed class SilentReceiver : IAsyncDisposable
{
    private readonly System.Net.Sockets.TcpListener _listener = new(System.Net.IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<string, int> _holding = new();
    private readonly List<System.Net.Sockets.TcpClient> _connections = [];

    public ConcurrentDictionary<string, int> MostHeldAtOnce { get; } = new();
    public int Requests => _requests;
    private int _requests;

    public string BaseUrl { get; }

    public SilentReceiver()
    {
        _listener.Start();
        BaseUrl = $"http://127.0.0.1:{((System.Net.IPEndPoint)_listener.LocalEndpoint).Port}";
        _ = Task.Run(Accept);
    }

    private async Task Accept()
    {
        while (!_stop.IsCancellationRequested)
        {
            System.Net.Sockets.TcpClient connection;
            try { connection = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (Exception) { return; }
            lock (_connections) _connections.Add(connection);
            _ = Task.Run(() => Hold(connection));
        }
    }

    private async Task Hold(System.Net.Sockets.TcpClient connection)
    {
        var stream = connection.GetStream();
        var buffer = new byte[16 * 1024];
        var head = new StringBuilder();
        string? path = null;
        try
        {
            while (true)
            {
                var read = await stream.ReadAsync(buffer, _stop.Token);
                if (read == 0) break; // the sender gave up and closed
                if (path is not null) continue;
                head.Append(Encoding.ASCII.GetString(buffer, 0, read));
                if (!head.ToString().Contains("\r\n\r\n")) continue;
                path = head.ToString().Split(' ')[1];
                Interlocked.Increment(ref _requests);
                var now = _holding.AddOrUpdate(path, 1, (_, n) => n + 1);
                MostHeldAtOnce.AddOrUpdate(path, now, (_, most) => Math.Max(most, now));
            }
        }
        catch (Exception) { }
        finally
        {
            if (path is not null) _holding.AddOrUpdate(path, 0, (_, n) => n - 1);
            connection.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        lock (_connections) foreach (var connection in _connections) connection.Dispose();
    }
}

/// <summary>
/// A stand-in for a forward proxy on loopback: it records every request it is sent (a forward proxy's request line
/// carries the absolute URI of the target, <c>POST http://host/path HTTP/1.1</c>) and answers 200 itself, never
/// connecting anywhere. A CONNECT (a tunnel to an https target) is recorded and the connection closed.
/// </summary>
public sealed class FakeProxy : IAsyncDisposable
{
    public sealed record Request(string Line, IReadOnlyDictionary<string, string> Headers, string Body);

    private readonly System.Net.Sockets.TcpListener _listener = new(System.Net.IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();

    public ConcurrentQueue<Request> Requests { get; } = new();

    /// <summary>Connections accepted, whether or not a whole request came.</summary>
    public int Connections => _connections;
    private int _connections;

    public string Url { get; }

    public FakeProxy()
    {
        _listener.Start();
        Url = $"http://127.0.0.1:{((System.Net.IPEndPoint)_listener.LocalEndpoint).Port}";
        _ = Task.Run(Accept);
    }

    private async Task Accept()
    {
        while (!_stop.IsCancellationRequested)
        {
            System.Net.Sockets.TcpClient connection;
            try { connection = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (Exception) { return; }
            Interlocked.Increment(ref _connections);
            _ = Task.Run(() => Serve(connection));
        }
    }

    private async Task Serve(System.Net.Sockets.TcpClient connection)
    {
        using var _ = connection;
        var stream = connection.GetStream();
        var pending = new List<byte>();
        var buffer = new byte[16 * 1024];
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                // The head, up to its blank line.
                int end;
                while ((end = IndexOfBlankLine(pending)) < 0)
                {
                    var read = await stream.ReadAsync(buffer, _stop.Token);
                    if (read == 0) return;
                    pending.AddRange(buffer.AsSpan(0, read));
                }
                var lines = Encoding.ASCII.GetString(pending.GetRange(0, end).ToArray()).Split("\r\n");
                pending.RemoveRange(0, end + 4);
                var headers = lines.Skip(1).Select(x => x.Split(':', 2))
                    .GroupBy(x => x[0].Trim(), StringComparer.OrdinalIgnoreCase)
                    .ToDictionary(x => x.Key, x => x.Last().ElementAtOrDefault(1)?.Trim() ?? "", StringComparer.OrdinalIgnoreCase);
                if (lines[0].StartsWith("CONNECT ", StringComparison.OrdinalIgnoreCase))
                {
                    // A tunnel "opened": what then comes through it is answered here too, never sent on.
                    Requests.Enqueue(new Request(lines[0], headers, ""));
                    await stream.WriteAsync("HTTP/1.1 200 Connection established\r\n\r\n"u8.ToArray(), _stop.Token);
                    continue;
                }

                // The body, by its Content-Length (the webhook client always sends one).
                var length = headers.TryGetValue("Content-Length", out var value) ? int.Parse(value) : 0;
                while (pending.Count < length)
                {
                    var read = await stream.ReadAsync(buffer, _stop.Token);
                    if (read == 0) return;
                    pending.AddRange(buffer.AsSpan(0, read));
                }
                var body = Encoding.UTF8.GetString(pending.GetRange(0, length).ToArray());
                pending.RemoveRange(0, length);
                Requests.Enqueue(new Request(lines[0], headers, body));
                await stream.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"u8.ToArray(), _stop.Token);
            }
        }
        catch (Exception) { } // the client hung up, or the proxy stops
    }

    private static int IndexOfBlankLine(List<byte> bytes)
    {
        for (var i = 0; i + 3 < bytes.Count; i++)
            if (bytes[i] == '\r' && bytes[i + 1] == '\n' && bytes[i + 2] == '\r' && bytes[i + 3] == '\n') return i;
        return -1;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
    }
}
