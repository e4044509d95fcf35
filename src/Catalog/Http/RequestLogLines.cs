using System.Buffers;
using System.Globalization;
using System.Text.Json;
using System.Threading.Channels;
using Catalog.Conventions;

namespace Catalog.Http;

/// <summary>
/// The request log's JSON lines, exactly as .NET's JSON console formatter writes them, without its cost: no
/// message template, no boxed state, no UTF-16 string per line, and one write to standard error for many lines
/// (each write at most 4 KiB of whole lines, which a pipe never interleaves with another writer's). On only where
/// the console logs JSON (Logging:Console:FormatterName = json, as in Production); elsewhere the line goes
/// through the logger as any other. What the library lacks: its JSON console logger took ≈19% of a read's CPU (template
/// formatting, boxing, a locked queue), this writer ≈3% (bench/README.md).
/// </summary>
public sealed class RequestLogLines : IRequestLogWriter, IHostedService, IAsyncDisposable
{
    private const int WriteSize = 4096;
    private static readonly JsonEncodedText Category = JsonEncodedText.Encode(typeof(RequestLog).FullName!);
    // As many lines as the console logger queues (its MaxQueueLength): when standard error stalls, requests wait
    // rather than the queue growing (a line holds a path of up to Kestrel's 8 KiB request line).
    private readonly Channel<ArrayBufferWriter<byte>> _queue =
        Channel.CreateBounded<ArrayBufferWriter<byte>>(new BoundedChannelOptions(2_500) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly TimeProvider _time;
    private Task _writing = Task.CompletedTask;

    public RequestLogLines(IConfiguration configuration, TimeProvider time)
    {
        _time = time;
        Writes = string.Equals(configuration["Logging:Console:FormatterName"], "json", StringComparison.OrdinalIgnoreCase);
    }

    public bool Writes { get; }

    public ValueTask WriteAsync(RequestLine request)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var json = new Utf8JsonWriter(buffer))
        {
            var message = string.Create(CultureInfo.InvariantCulture,
                $"{request.Method} {request.Path} {request.Status} in {request.DurationMs} ms (account {request.AccountId ?? "(null)"}, request {request.RequestId})");
            json.WriteStartObject();
            json.WriteString("Timestamp", _time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ"));
            json.WriteNumber("EventId", RequestLog.EventId);
            json.WriteString("LogLevel", "Information");
            json.WriteString("Category", Category);
            json.WriteString("Message", message);
            json.WriteStartObject("State");
            json.WriteString("Method", request.Method);
            json.WriteString("Path", request.Path);
            json.WriteNumber("Status", request.Status);
            json.WriteNumber("DurationMs", request.DurationMs);
            json.WriteString("AccountId", request.AccountId);
            json.WriteString("RequestId", request.RequestId);
            json.WriteString("{OriginalFormat}", RequestLog.Format);
            json.WriteEndObject();
            json.WriteEndObject();
        }
        buffer.Write("\n"u8);
        // A full queue holds the request back, as the console logger does; after shutdown the line is dropped.
        return _queue.Writer.TryWrite(buffer) ? ValueTask.CompletedTask : Queue(buffer);
    }

    private async ValueTask Queue(ArrayBufferWriter<byte> line)
    {
        try { await _queue.Writer.WriteAsync(line); }
        catch (ChannelClosedException) { }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (Writes) _writing = Task.Run(WriteLinesAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>When the host is disposed, after the server has stopped: the lines still queued are written.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _writing.WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(_ => { });
    }

    private async Task WriteLinesAsync()
    {
        await using var error = Console.OpenStandardError();
        var batch = new byte[WriteSize];
        while (await _queue.Reader.WaitToReadAsync())
        {
            var length = 0;
            while (_queue.Reader.TryPeek(out var next) && (length == 0 || length + next.WrittenCount <= WriteSize))
            {
                _queue.Reader.TryRead(out var line);
                if (line!.WrittenCount > WriteSize) Write(error, line.WrittenSpan); // alone, as long as it is
                else { line.WrittenSpan.CopyTo(batch.AsSpan(length)); length += line.WrittenCount; }
            }
            if (length > 0) Write(error, batch.AsSpan(0, length));
        }
    }

    /// <summary>
    /// Under Console.Error's own lock, which the console logger writes under: a line of its that takes several
    /// writes is never cut by a batch of ours. A standard error that fails loses the lines; it never stops the
    /// queue, nor the requests behind it.
    /// </summary>
    private static void Write(Stream error, ReadOnlySpan<byte> lines)
    {
        try
        {
            lock (Console.Error) error.Write(lines);
        }
        catch (Exception) { }
    }
}

public static class RequestLogLinesRegistration
{
    public static IServiceCollection AddRequestLogLines(this IServiceCollection services)
    {
        services.AddSingleton<RequestLogLines>();
        services.AddSingleton<IRequestLogWriter>(provider => provider.GetRequiredService<RequestLogLines>());
        services.AddHostedService(provider => provider.GetRequiredService<RequestLogLines>());
        return services;
    }
}
