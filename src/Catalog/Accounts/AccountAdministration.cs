using Catalog.Secrets;
using Catalog.Conventions;
using Catalog.Hosting;

namespace Catalog.Accounts;

/// <summary>
/// What another slice gives every new account in the transaction that creates it (the first key that signs its
/// license files): registered by that slice, so that accounts need not know it.
/// </summary>
public interface INewAccountSetup
{
    void Setup(Account account, IDocumentSession directory);
}

/// <summary>What the admin command line does with accounts and keys. Accounts are managed here, not over HTTP.</summary>
public static class AccountAdministration
{
    /// <summary>
    /// An account, and in the same transaction what each <see cref="INewAccountSetup"/> gives it. With shards, the account
    /// is placed first (Marten records it in the directory database and makes its partitions in the shard): a
    /// placement that fails leaves no account. Returns the shard, or null without shards.
    /// </summary>
    public static async Task<(Account Account, string? Shard)> CreateAccount(IDirectoryStore directory, IDocumentStore store, IConfiguration configuration,
        SecretBox secrets, IEnumerable<INewAccountSetup> setups, string? name, string? shard, TimeProvider time)
    {
        name = name?.Trim();
        if (string.IsNullOrEmpty(name)) throw new AdministrationException("--name is required: accounts create --name \"Acme Inc\"");
        if (name.Length > 255) throw new AdministrationException("--name must be at most 255 characters");

        await MasterKeyCheck.Verify(directory, secrets);
        var account = new Account(Guid.CreateVersion7(), name, time.UtcNow());
        var placed = await Shards.Place(store, configuration, account.Id, shard);
        await using var session = directory.LightweightSession();
        session.Insert(account);
        foreach (var setup in setups) setup.Setup(account, session);
        await session.SaveChangesAsync();
        return (account, placed);
    }

    public static async Task<IReadOnlyList<Account>> ListAccounts(IDirectoryStore store)
    {
        await using var session = store.QuerySession();
        return await session.Query<Account>().OrderBy(x => x.Id).ToListAsync();
    }

    /// <summary>Creates a key and returns it with its secret, which exists nowhere else from then on.</summary>
    public static async Task<(ApiKey Key, string Secret)> CreateApiKey(
        IDirectoryStore store, string? accountId, string? scopes, string? name, TimeProvider time)
    {
        var account = await FindAccount(store, accountId);
        var granted = ParseScopes(scopes);
        if (name is { Length: > 255 }) throw new AdministrationException("--name must be at most 255 characters");

        var secret = ApiKeySecret.Generate();
        var key = new ApiKey(Guid.CreateVersion7(), account.Id, string.IsNullOrWhiteSpace(name) ? null : name.Trim(),
            granted, ApiKeySecret.Hash(secret), ApiKeySecret.Hint(secret), time.UtcNow(), null);

        await using var session = store.LightweightSession();
        session.Insert(key);
        await session.SaveChangesAsync();
        return (key, secret);
    }

    public static async Task<IReadOnlyList<ApiKey>> ListApiKeys(IDirectoryStore store, string? accountId)
    {
        var account = await FindAccount(store, accountId);
        await using var session = store.QuerySession();
        return await session.Query<ApiKey>().Where(x => x.AccountId == account.Id).OrderBy(x => x.Id).ToListAsync();
    }

    /// <summary>Revokes a key; revoking it again changes nothing. Every node refuses it within seconds.</summary>
    public static async Task<ApiKey> RevokeApiKey(IDirectoryStore store, string? keyId, TimeProvider time)
    {
        if (!Guid.TryParse(keyId, out var id)) throw new AdministrationException($"'{keyId}' is not an API key id (a UUID)");

        await using var session = store.LightweightSession();
        var key = await session.LoadAsync<ApiKey>(id) ?? throw new AdministrationException($"no API key has the id {id}");
        if (key.RevokedAt is not null) return key;

        var revoked = key with { RevokedAt = time.UtcNow() };
        session.Store(revoked);
        await session.SaveChangesAsync();
        return revoked;
    }

    public static async Task<Account> FindAccount(IDirectoryStore store, string? accountId)
    {
        if (string.IsNullOrWhiteSpace(accountId)) throw new AdministrationException("--account <accountId> is required");
        if (!Guid.TryParse(accountId, out var id)) throw new AdministrationException($"'{accountId}' is not an account id (a UUID)");

        await using var session = store.QuerySession();
        return await session.LoadAsync<Account>(id) ?? throw new AdministrationException($"no account has the id {id}");
    }

    private static string[] ParseScopes(string? scopes)
    {
        var requested = (scopes ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (requested.Length == 0)
            throw new AdministrationException($"--scopes is required, a comma-separated list of: {string.Join(",", Scopes.All)}");

        var unknown = requested.Where(x => !Scopes.All.Contains(x)).ToArray();
        if (unknown.Length > 0)
            throw new AdministrationException(
                $"unknown scope '{string.Join("', '", unknown)}'; known scopes: {string.Join(",", Scopes.All)}");

        return requested.Distinct().ToArray();
    }
}
