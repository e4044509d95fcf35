using Catalog.Secrets;
using Catalog.Hosting;
using Catalog.Conventions;

namespace Catalog.SigningKeys;

/// <summary>
/// An account's signing keys over their life: made when the account is (or on first use, for accounts older than
/// signing keys), rotated and retired by operators, published in the JWK Set until retired. The newest key that is
/// not retired signs.
/// </summary>
public sealed class SigningKeyRing(IDirectoryStore store, SecretBox secrets, TimeProvider time)
{
    /// <summary>The key that signs the account's files now, made first if the account has none.</summary>
    public async Task<SigningKey> Current(Guid accountId, CancellationToken token = default)
    {
        RefuseNoAccount(accountId);
        await using var session = store.QuerySession();
        return await Unretired(session, accountId).FirstOrDefaultAsync(token) ?? await Add(accountId, onlyIfNone: true, token);
    }

    /// <summary>A compact JWS of <paramref name="payload"/>, signed by the account's current key, and that key's kid.</summary>
    public async Task<(string Kid, string Jws)> Sign(Guid accountId, string type, object payload, JsonSerializerOptions json,
        CancellationToken token = default)
    {
        var key = await Current(accountId, token);
        return (key.Id, CompactJws.Sign(key, type, payload, json, secrets));
    }

    /// <summary>Every key not retired, newest first: the account's JWK Set. Empty for an account that has none yet.</summary>
    public async Task<IReadOnlyList<SigningKey>> Published(Guid accountId, CancellationToken token = default)
    {
        if (accountId == Guid.Empty) return []; // keys once made for no account are nobody's to publish
        await using var session = store.QuerySession();
        return await Unretired(session, accountId).ToListAsync(token);
    }

    /// <summary>Every key of the account, retired ones included, newest first.</summary>
    public async Task<IReadOnlyList<SigningKey>> All(Guid accountId, CancellationToken token = default)
    {
        await using var session = store.QuerySession();
        return await session.Query<SigningKey>().Where(x => x.AccountId == accountId).OrderByDescending(x => x.Generation).ToListAsync(token);
    }

    /// <summary>A new key that signs from now on. The older ones stay published, so files they signed still verify.</summary>
    public Task<SigningKey> Rotate(Guid accountId, CancellationToken token = default) => Add(accountId, onlyIfNone: false, token);

    /// <summary>
    /// Takes a key out of the JWK Set and erases its private half: files it signed no longer verify against the set.
    /// The key that signs now cannot be retired (rotate first), so an account always has one. Retiring again changes nothing.
    /// </summary>
    public async Task<SigningKey> Retire(string kid, CancellationToken token = default)
    {
        await using var session = store.LightweightSession();
        var key = await session.LoadAsync<SigningKey>(kid, token) ?? throw new AdministrationException($"no signing key has the kid '{kid}'");
        if (key.IsRetired) return key;
        if ((await Unretired(session, key.AccountId).FirstOrDefaultAsync(token))?.Id == kid)
            throw new AdministrationException(
                $"'{kid}' is the key that signs account {key.AccountId}'s files now: run 'signing-keys rotate --account {key.AccountId}' first");

        var retired = key with { RetiredAt = time.UtcNow(), SealedPrivateKey = null };
        session.Store(retired);
        await session.SaveChangesAsync(token);
        return retired;
    }

    /// <summary>
    /// A key belongs to one account: a key for the empty id would sign, and publish, for whoever reaches it without an
    /// account (once, every account's old licenses), so none is made or used.
    /// </summary>
    private static void RefuseNoAccount(Guid accountId)
    {
        if (accountId == Guid.Empty) throw new ArgumentException("a signing key belongs to an account: the empty id is none", nameof(accountId));
    }

    /// <summary>The account's keys that are not retired, newest (the one that signs) first.</summary>
    private static IQueryable<SigningKey> Unretired(IQuerySession session, Guid accountId) =>
        session.Query<SigningKey>()
            .Where(x => x.AccountId == accountId && x.RetiredAt == null)
            .OrderByDescending(x => x.Generation);

    /// <summary>
    /// Adds the account's next generation of key. Two nodes adding at once both want the same generation: the unique
    /// index lets one win, and the other looks again (a first key: takes the winner's; a rotation: goes one further).
    /// </summary>
    private async Task<SigningKey> Add(Guid accountId, bool onlyIfNone, CancellationToken token)
    {
        RefuseNoAccount(accountId);
        for (var attempt = 1; ; attempt++)
        {
            await using var session = store.LightweightSession();
            var newest = await session.Query<SigningKey>().Where(x => x.AccountId == accountId)
                .OrderByDescending(x => x.Generation).FirstOrDefaultAsync(token);
            if (onlyIfNone && newest is { IsRetired: false }) return newest;

            var key = SigningKey.Create(accountId, (newest?.Generation ?? 0) + 1, secrets, time.UtcNow());
            session.Insert(key);
            try
            {
                await session.SaveChangesAsync(token);
                return key;
            }
            catch (Exception e) when (attempt < 5 && e.Find<PostgresException>() is
                                          { SqlState: PostgresErrorCodes.UniqueViolation, ConstraintName: SigningKeysConfiguration.GenerationIndex })
            {
            }
        }
    }
}
