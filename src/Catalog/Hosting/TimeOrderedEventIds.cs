
namespace Catalog.Hosting;

/// <summary>Every id shown is a UUID v7, event ids (a webhook's <c>id</c>) included: Marten draws v4 ones.</summary>
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
