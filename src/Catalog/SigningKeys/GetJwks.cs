using Catalog.Accounts;
using Catalog.Conventions;

namespace Catalog.SigningKeys;

[Tags("License files")]
public static class GetJwksEndpoint
{
    /// <summary>
    /// The account's public signing keys as an RFC 7517 JWK Set, newest (the one that signs now) first. Public by
    /// nature, so read without a credential (and limited per client address like any such request); caches may keep
    /// it 5 minutes. An unknown account is the same 404 as any other.
    /// </summary>
    [WolverineGet("/api/v1/accounts/{accountId}/jwks.json", OperationId = "getJwks", Summary = "Get an account's public signing keys (JWK Set)")]
    [AllowAnonymous]
    [ProducesResponseType<JwkSet>(200)]
    public static async Task<IResult> Get(Guid accountId, Catalog.Hosting.IDirectoryStore store, SigningKeyRing ring, HttpContext context, CancellationToken token)
    {
        var keys = await ring.Published(accountId, token);
        if (keys.Count == 0)
        {
            // No key yet: an account older than signing keys gets its first now; an unknown account, a 404.
            await using var session = store.QuerySession();
            if (await session.LoadAsync<Account>(accountId, token) is null)
                return Results.NotFound(); // worded by the conventions, as every 404
            keys = [await ring.Current(accountId, token)];
        }
        context.Response.Headers.CacheControl = "max-age=300";
        return Results.Json(new JwkSet(keys.Select(x => x.ToJwk()).ToList()), ApiJson.Options);
    }
}
