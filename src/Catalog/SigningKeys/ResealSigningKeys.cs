using Catalog.Secrets;
using Catalog.Hosting;

namespace Catalog.SigningKeys;

/// <summary>
/// Master key rotation (<c>secrets reseal</c>): each private signing key not yet sealed under the current master key
/// is sealed again under it, bound to the same account and kid. A key retired meanwhile (its private half erased) is
/// left as it is.
/// </summary>
public sealed class ResealSigningKeys : ISealedValues
{
    public string Name => "signingKeys";

    public Task<int> Reseal(IServiceProvider services, SecretBox secrets, CancellationToken token) =>
        Run(services.GetRequiredService<IDirectoryStore>(), secrets, token);

    private const string Table = $"{Database.Schema}.mt_doc_signingkey";

    public static async Task<int> Run(IDirectoryStore store, SecretBox secrets, CancellationToken token = default)
    {
        await using var query = store.QuerySession();
        var stale = await query.Query<SigningKey>()
            .Where(x => x.SealedPrivateKey != null && !x.SealedPrivateKey.StartsWith(secrets.CurrentPrefix))
            .ToListAsync(token);
        var resealed = 0;
        foreach (var key in stale)
        {
            var sealedKey = key.SealedPrivateKey!;
            if (await SealedValues.Replace(store.Storage.Database, Table, key.Id, nameof(SigningKey.SealedPrivateKey), sealedKey,
                    secrets.Reseal(sealedKey, SigningKey.SealedFor(key.AccountId, key.Id)), token))
                resealed++;
        }
        return resealed;
    }
}
