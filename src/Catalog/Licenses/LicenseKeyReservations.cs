using Catalog.Http;
using Catalog.Hosting;
using Catalog.Products;

namespace Catalog.Licenses;

/// <summary>With shards: the account and license of a key, in the directory, which is where a client request finds them.</summary>
public sealed record LicenseKeyEntry(string Id, Guid AccountId, Guid LicenseId);

/// <summary>
/// With shards, each account's licenses live in its shard, and no index spans shards: a key is unique service-wide
/// because the directory holds one entry per key. Before the shard transaction that issues a license commits, its
/// key is entered in the directory; a key drawn twice is refused by the entry's primary key, and the issuance is drawn
/// again (<see cref="RetryOnContentionAttribute"/>). An issuance that fails after that leaves an entry naming no
/// license: the key is never used again, and authenticates nothing.
/// </summary>
public sealed class LicenseKeyReservations(IServiceProvider services) : DocumentSessionListenerBase
{
    /// <summary>The primary key of the directory's entries: a key already entered.</summary>
    public const string KeyTaken = "pkey_mt_doc_licensekeyentry_id";

    public override async Task BeforeSaveChangesAsync(IDocumentSession session, CancellationToken token)
    {
        var issued = session.PendingChanges.Streams()
            .SelectMany(x => x.Events).Select(x => x.Data).OfType<LicenseIssued>().ToList();
        if (issued.Count == 0) return;

        var account = Guid.Parse(session.TenantId);
        await using var directory = services.GetRequiredService<IDirectoryStore>().LightweightSession();
        foreach (var license in issued) directory.Insert(new LicenseKeyEntry(license.Key, account, license.LicenseId));
        try
        {
            await directory.SaveChangesAsync(token);
        }
        catch (JasperFx.DocumentAlreadyExistsException e)
        {
            // Marten reports the entry's primary key this way, without PostgreSQL's error to name the constraint.
            throw new DrawAgainException("A license key drawn is already entered in the directory", e);
        }
    }
}
