using Marten;

namespace Catalog.Hosting;

/// <summary>
/// Every id the service shows is a UUID v7, event ids included (subscribers see them as the webhook body's
/// <c>id</c>). Marten gives new events random (v4) ids; this sets time-ordered ones before they are saved.
/// </summary>
public sealed class TimeOrderedEventIds : DocumentSessionListenerBase
{
    public override Task BeforeSaveChangesAsync(IDocumentSession session, CancellationToken token)
    {
        foreach (var stream in session.PendingChanges.Streams())
        foreach (var e in stream.Events)
            if (e.Id.Version != 7) e.Id = Guid.CreateVersion7();
        return Task.CompletedTask;
    }
}
