using Catalog.Http;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Catalog.Accounts;
using Catalog.Conventions;
using Catalog.Hosting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Catalog.Licenses;

/// <summary>What a license key authenticates as: its license, its account, and whether it was revoked.</summary>
public sealed record LicenseKeyHolder(Guid LicenseId, Guid AccountId, bool Revoked);

/// <summary>
/// Finds the license of a presented key, across accounts (the key is how the software a vendor ships finds its
/// account): through the unique key index on one database; with shards, through the key's entry in the directory and
/// then the license in its account's shard. What is found, or nothing, is kept for 2 seconds, as API keys are: a flood
/// with one key costs one lookup per node every 2 seconds, and a revocation shuts the key out within that.
/// </summary>
public sealed class LicenseKeyDirectory(IDocumentStore store, IDirectoryStore directory, CredentialCache credentials) : ICredentialRecognition
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
        LicenseKeyAuthenticationHandler.PresentedKey(request) is { } key ? credentials.LicenseKeys.Recognised(CacheKey(key)) : null;

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
}

/// <summary>
/// <c>Authorization: License &lt;key&gt;</c>: the credential of the client endpoints, which the software vendors
/// ship calls. A malformed, unknown or revoked key fails (401 with <c>WWW-Authenticate: License</c>); a valid one
/// carries its license and its account, the tenant of every session the request opens.
/// </summary>
[Wolverine.Attributes.WolverineIgnore] // named like a handler, but not a message handler
public sealed partial class LicenseKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    LicenseKeyDirectory directory) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Request.Headers.Authorization.ToString().StartsWith(Prefix, StringComparison.OrdinalIgnoreCase)) return AuthenticateResult.NoResult();
        if (PresentedKey(Request) is not { } key) return Fail("The license key is malformed.");
        var holder = await directory.FindAsync(key, Context.RequestAborted);
        if (holder is null) return Fail("The license key is not valid.");
        if (holder.Revoked) return Fail("The license has been revoked.");

        Claim[] claims = [new(CatalogClaims.AccountId, holder.AccountId.ToString()), new(CatalogClaims.LicenseId, holder.LicenseId.ToString())];
        // Named by the license: a client POST's Idempotency-Key is kept under it (Http/IdempotencyKeys.cs).
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, CatalogClaims.LicenseKeyScheme, CatalogClaims.LicenseId, null));
        return AuthenticateResult.Success(new AuthenticationTicket(principal, CatalogClaims.LicenseKeyScheme));
    }

    private const string Prefix = CatalogClaims.LicenseKeyScheme + " ";

    /// <summary>The well-formed license key of <c>Authorization: License &lt;key&gt;</c>, upper-cased, or null.</summary>
    public static string? PresentedKey(HttpRequest request)
    {
        var authorization = request.Headers.Authorization.ToString();
        if (!authorization.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase)) return null;
        var key = authorization[Prefix.Length..].Trim().ToUpperInvariant();
        return LicenseKeys.IsWellFormed(key) ? key : null;
    }

    private AuthenticateResult Fail(string reason)
    {
        Context.Items[ApiKeyAuthenticationHandler.FailureKey] = reason;
        return AuthenticateResult.Fail(reason);
    }
}
