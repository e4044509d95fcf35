using System.Collections.Concurrent;
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
