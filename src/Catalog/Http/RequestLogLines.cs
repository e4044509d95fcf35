using System.Buffers;
using System.Globalization;
using System.Threading.Channels;

namespace Catalog.Http;

/// <summary>
/// The request log's lines exactly as .NET's JSON console formatter writes them, without its cost: no template, no
/// boxing, one write of whole lines (at most 4 KiB, which a pipe never interleaves) for many. On where the console logs
/// JSON (Production). Why not the library: its JSON console logger took ≈19% of a read's CPU, this ≈3% (bench/README.md).
/// </summary>
public sealed class RequestLogLines(IConfiguration configuration, TimeProvider time) : IHostedService, IAsyncDisposable
{
    private const int WriteSize = 4096;

    /// <summary>
    /// How long the writer gathers lines once one is queued: one wake-up and a few writes for every request of those
    /// moments, instead of a wake-up and a write(2) per request (≈12 µs of a read's ≈176 µs of CPU when measured by
    /// perf, bench/README.md). A line reaches standard error at most this much later.
    /// </summary>
    private static readonly TimeSpan GatherFor = TimeSpan.FromMilliseconds(50);
    private static readonly JsonEncodedText Category = JsonEncodedText.Encode(typeof(RequestLog).FullName!);
    // The console logger's MaxQueueLength: when standard error stalls, requests wait rather than the queue grow.
    private readonly Channel<QueuedLine> _queue =
        Channel.CreateBounded<QueuedLine>(new BoundedChannelOptions(2_500) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    private Task _writing = Task.CompletedTask;
    private readonly CancellationTokenSource _closing = new(); // never disposed: it has no timer, and disposal may come twice

    // Each thread writes its lines with one JSON writer and buffer, reused: a line costs the queue a pooled array alone.
    [ThreadStatic] private static ArrayBufferWriter<byte>? t_line;
    [ThreadStatic] private static Utf8JsonWriter? t_json;
    [ThreadStatic] private static char[]? t_message;

    public bool Writes { get; } = string.Equals(configuration["Logging:Console:FormatterName"], "json", StringComparison.OrdinalIgnoreCase);

    public ValueTask WriteAsync(RequestLine request)
    {
        var buffer = t_line ??= new ArrayBufferWriter<byte>(512);
        buffer.ResetWrittenCount();
        var json = t_json ??= new Utf8JsonWriter(buffer);
        json.Reset(buffer);
        json.WriteStartObject();
        Span<byte> timestamp = stackalloc byte[24];
        WriteTimestamp(time.GetUtcNow().UtcDateTime, timestamp);
        json.WriteString("Timestamp", timestamp);
        json.WriteNumber("EventId", RequestLog.EventId);
        json.WriteString("LogLevel", "Information");
        json.WriteString("Category", Category);
        var message = t_message ??= new char[1024];
        int length;
        // A path longer than the buffer grows it (Kestrel bounds the request line).
        while (!message.AsSpan().TryWrite(CultureInfo.InvariantCulture,
                   $"{request.Method} {request.Path} {request.Status} in {request.DurationMs} ms (account {request.AccountId ?? "(null)"}, request {request.RequestId})",
                   out length))
            message = t_message = new char[message.Length * 2];
        json.WriteString("Message", message.AsSpan(0, length));
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
        json.Flush();
        buffer.Write("\n"u8);
        var line = new QueuedLine(ArrayPool<byte>.Shared.Rent(buffer.WrittenCount), buffer.WrittenCount);
        buffer.WrittenSpan.CopyTo(line.Bytes);
        // A full queue holds the request back, as the console logger does; after shutdown the line is dropped.
        return _queue.Writer.TryWrite(line) ? ValueTask.CompletedTask : Queue(line);
    }

    /// <summary>
    /// yyyy-MM-ddTHH:mm:ss.fffZ, as the console's TimestampFormat says: the standard sortable format (a fast path, where
    /// a custom format string is parsed on every call), then the milliseconds in digits.
    /// </summary>
    private static void WriteTimestamp(DateTime utc, Span<byte> text)
    {
        utc.TryFormat(text, out _, "s", CultureInfo.InvariantCulture); // yyyy-MM-ddTHH:mm:ss
        text[19] = (byte)'.';
        var milliseconds = utc.Millisecond;
        for (var i = 22; i >= 20; i--, milliseconds /= 10) text[i] = (byte)('0' + milliseconds % 10);
        text[23] = (byte)'Z';
    }

    /// <summary>A line's bytes in an array rented from the shared pool, returned once written.</summary>
    private readonly record struct QueuedLine(byte[] Bytes, int Length)
    {
        public ReadOnlySpan<byte> Span => Bytes.AsSpan(0, Length);
    }

    private async ValueTask Queue(QueuedLine line)
    {
        try { await _queue.Writer.WriteAsync(line); }
        catch (ChannelClosedException) { ArrayPool<byte>.Shared.Return(line.Bytes); }
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
        await _closing.CancelAsync();
        await _writing.WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(_ => { });
    }

    private async Task WriteLinesAsync()
    {
        await using var error = Console.OpenStandardError();
        var batch = new byte[WriteSize];
        while (await _queue.Reader.WaitToReadAsync())
        {
            // Real time, not the host's TimeProvider (which a test may hold still); no wait once the host is done.
            try { await Task.Delay(GatherFor, _closing.Token); }
            catch (OperationCanceledException) { }
            // Everything queued, in writes of whole lines of at most WriteSize.
            var length = 0;
            while (_queue.Reader.TryRead(out var line))
            {
                if (length > 0 && length + line.Length > WriteSize) { Write(error, batch.AsSpan(0, length)); length = 0; }
                if (line.Length > WriteSize) Write(error, line.Span); // alone, as long as it is
                else { line.Span.CopyTo(batch.AsSpan(length)); length += line.Length; }
                ArrayPool<byte>.Shared.Return(line.Bytes);
            }
            if (length > 0) Write(error, batch.AsSpan(0, length));
        }
    }

    /// <summary>Under Console.Error's lock, as the console logger writes; a failing standard error loses lines, never stops requests.</summary>
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
        services.AddHostedService(provider => provider.GetRequiredService<RequestLogLines>());
        return services;
    }
}
