using Catalog.Http;
using Catalog.Conventions;
using Catalog.Hosting;
using Microsoft.AspNetCore.Authentication;

namespace Catalog.Licenses;

/// <summary>What a license key authenticates as: its license, its account, and whether it was revoked.</summary>
public sealed record LicenseKeyHolder(Guid LicenseId, Guid AccountId, bool Revoked);

/// <summary>
/// Finds the license of a presented key, across accounts (the key is how the software a vendor ships finds its
/// account): through the unique key index on one database; with shards, through the key's entry in the directory and
/// then the license in its account's shard. What is found, or nothing, is kept for 2 seconds, as API keys are: a flood
/// with one key costs one lookup per node every 2 seconds, and a revocation shuts the key out within that.
/// </summary>
public sealed class LicenseKeyDirectory(IDocumentStore store, IDirectoryStore directory, CredentialCache credentials) : ICredentialKind
{
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(2);

    private readonly bool _sharded = store.Options.Tenancy is Marten.Storage.ShardedTenancy;

    private long _lookups;

    /// <summary>How many times this node looked a license key up (the tests count them).</summary>
    public long Lookups => Interlocked.Read(ref _lookups);

    public async ValueTask<LicenseKeyHolder?> FindAsync(string key, CancellationToken token)
    {
        var cacheKey = CacheKey(key);
        if (credentials.LicenseKeys.TryGet(cacheKey, out LicenseKeyHolder? holder)) return holder;

        Interlocked.Increment(ref _lookups);
        holder = _sharded ? await FindInShardAsync(key, token) : await FindAsync(store, key, token);
        credentials.LicenseKeys.Set(cacheKey, holder, CacheFor);
        credentials.LicenseKeys.Recognise(cacheKey, holder is { Revoked: false } ? new RecognisedCredential(holder.LicenseId.ToString(), holder.AccountId, IsLicenseKey: true) : null);
        return holder;
    }

    private static string CacheKey(string key) => "license-key:" + key;

    /// <summary>A license key this node found valid lately, from memory alone (the rate limiter asks before authentication).</summary>
    public RecognisedCredential? Recognise(HttpRequest request) =>
        PresentedKey(request) is { } key ? credentials.LicenseKeys.Recognised(CacheKey(key)) : null;

    private static async Task<LicenseKeyHolder?> FindAsync(IDocumentStore store, string key, CancellationToken token)
    {
        await using var session = store.QuerySession();
        var license = await session.Query<License>().Where(x => x.AnyTenant() && x.Key == key).SingleOrDefaultAsync(token);
        // Every license names its account (StampLicenseAccounts gave one to those projected before it was kept).
        return license is null ? null : new LicenseKeyHolder(license.Id, license.AccountId, license.IsRevoked);
    }

    private async Task<LicenseKeyHolder?> FindInShardAsync(string key, CancellationToken token)
    {
        LicenseKeyEntry? entry;
        await using (var session = directory.QuerySession()) entry = await session.LoadAsync<LicenseKeyEntry>(key, token);
        if (entry is null) return null;

        await using var shard = store.QuerySession(entry.AccountId.ToString());
        // No license behind an entry: its issuance failed after the key was entered, and the key was never given out.
        return await shard.LoadAsync<License>(entry.LicenseId, token) is { } license && license.Key == key
            ? new LicenseKeyHolder(license.Id, entry.AccountId, license.IsRevoked)
            : null;
    }

    /// <summary>
    /// <c>Authorization: License &lt;key&gt;</c>: the credential of the client endpoints, which the software vendors
    /// ship calls. A malformed, unknown or revoked key fails (401 with <c>WWW-Authenticate: License</c>); a valid one
    /// carries its license and its account, the tenant of every session the request opens.
    /// </summary>
    public bool IsPresentedIn(HttpRequest request) => CatalogClaims.PresentsLicenseKey(request);

    public async ValueTask<AuthenticateResult> AuthenticateAsync(HttpContext context)
    {
        if (PresentedKey(context.Request) is not { } key) return CredentialAuthentication.Fail(context, "The license key is malformed.");
        var holder = await FindAsync(key, context.RequestAborted);
        if (holder is null) return CredentialAuthentication.Fail(context, "The license key is not valid.");
        if (holder.Revoked) return CredentialAuthentication.Fail(context, "The license has been revoked.");

        // Named by the license: a client POST's Idempotency-Key is kept under it (Http/IdempotencyKeys.cs).
        return CredentialAuthentication.Success(CatalogClaims.LicenseKeyScheme,
            [new(CatalogClaims.AccountId, holder.AccountId.ToString()), new(CatalogClaims.LicenseId, holder.LicenseId.ToString())],
            CatalogClaims.LicenseId);
    }

    private const string Prefix = CatalogClaims.LicenseKeyScheme + " ";

    /// <summary>The well-formed license key of <c>Authorization: License &lt;key&gt;</c>, upper-cased, or null.</summary>
    public static string? PresentedKey(HttpRequest request)
    {
        if (!CatalogClaims.PresentsLicenseKey(request)) return null;
        var key = request.Headers.Authorization.ToString()[Prefix.Length..].Trim().ToUpperInvariant();
        return LicenseKeys.IsWellFormed(key) ? key : null;
    }
}
