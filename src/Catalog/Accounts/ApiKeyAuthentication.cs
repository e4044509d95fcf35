using Catalog.Http;
using System.Security.Claims;
using Catalog.Conventions;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization.Infrastructure;
using Microsoft.AspNetCore.Authorization.Policy;

namespace Catalog.Accounts;

/// <summary>
/// The API key of <c>Authorization: Bearer &lt;key&gt;</c> (or <c>X-API-Key</c>): the vendors' back ends' credential.
/// Finds the stored key for a presented secret by its hash (a unique index, no scan). What is found, a key or
/// nothing, is kept in memory for <see cref="CacheFor"/>: the check costs no round trip on most requests, and a revocation reaches
/// every node within that time (the contract allows 5 seconds). The memory is bounded (<see cref="CredentialCache"/>).
/// </summary>
public sealed class ApiKeyDirectory(Catalog.Hosting.IDirectoryStore store, CredentialCache credentials) : ICredentialKind
{
    public const string Kind = "ApiKey";
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(2);

    private long _lookups;

    /// <summary>How many times this node asked the database for a key (the tests count them).</summary>
    public long Lookups => Interlocked.Read(ref _lookups);

    /// <summary>
    /// The key with this secret, or null. An unknown secret is remembered as unknown for the same 2 seconds, so a
    /// flood of one bad key costs the database one lookup per node every 2 seconds.
    /// </summary>
    public async ValueTask<ApiKey?> FindAsync(HttpContext context, string secret, CancellationToken token)
    {
        var hash = HashOf(context, secret);
        if (credentials.ApiKeys.TryGet(hash, out ApiKey? key)) return key;

        Interlocked.Increment(ref _lookups);
        await using var session = store.QuerySession();
        key = await session.Query<ApiKey>().FirstOrDefaultAsync(x => x.Hash == hash, token);
        credentials.ApiKeys.Set(hash, key, CacheFor);
        credentials.ApiKeys.Recognise(hash, key is { RevokedAt: null } ? new RecognisedCredential(key.Id.ToString(), key.AccountId, IsLicenseKey: false) : null);
        return key;
    }

    /// <summary>Any credential but a license key's (<c>Authorization: License …</c>, Licenses/) is taken for an API key.</summary>
    public bool IsPresentedIn(HttpRequest request) => !CatalogClaims.PresentsLicenseKey(request) && PresentedKey(request) is not null;

    /// <summary>A key this node found valid lately, from memory alone (the rate limiter asks before authentication).</summary>
    public RecognisedCredential? Recognise(HttpRequest request) =>
        PresentedKey(request) is { } presented && ApiKeySecret.IsWellFormed(presented)
            ? credentials.ApiKeys.Recognised(HashOf(request.HttpContext, presented))
            : null;

    public async ValueTask<AuthenticateResult> AuthenticateAsync(HttpContext context)
    {
        var presented = PresentedKey(context.Request);
        if (presented is null) return AuthenticateResult.NoResult();
        if (!ApiKeySecret.IsWellFormed(presented)) return CredentialAuthentication.Fail(context, "The API key is malformed.");

        var key = await FindAsync(context, presented, context.RequestAborted);
        if (key is null) return CredentialAuthentication.Fail(context, "The API key is not valid.");
        if (key.RevokedAt is not null) return CredentialAuthentication.Fail(context, "The API key has been revoked.");

        // Named by the key's id: what an Idempotency-Key is kept under besides the account (Http/IdempotencyKeys.cs), so that a
        // key may replay only its own answers, never one a key with other scopes was given.
        return CredentialAuthentication.Success(Kind,
        [
            new(CatalogClaims.AccountId, key.AccountId.ToString()),
            new(CatalogClaims.ApiKeyId, key.Id.ToString()),
            .. key.Scopes.Select(scope => new Claim(CatalogClaims.Scope, scope))
        ], CatalogClaims.ApiKeyId);
    }

    /// <summary><c>Authorization: Bearer &lt;key&gt;</c>, or <c>X-API-Key: &lt;key&gt;</c>; any other authorization is malformed.</summary>
    public static string? PresentedKey(HttpRequest request)
    {
        var authorization = request.Headers.Authorization.ToString();
        if (authorization.Length > 0)
            return authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
                ? authorization["Bearer ".Length..].Trim()
                : authorization;

        var apiKey = request.Headers["X-API-Key"].ToString();
        return apiKey.Length > 0 ? apiKey.Trim() : null;
    }

    /// <summary>The presented secret's hash, computed once per request: the rate limiter and authentication both need it.</summary>
    private static string HashOf(HttpContext context, string secret)
    {
        if (context.Items.TryGetValue(typeof(ApiKeyDirectory), out var known) && known is (string presented, string hash) && presented == secret)
            return hash;
        var computed = ApiKeySecret.Hash(secret);
        context.Items[typeof(ApiKeyDirectory)] = (secret, computed);
        return computed;
    }
}

/// <summary>401 and 403 as problem details: 401 says what was wrong with the key, 403 names the missing scope.</summary>
[Wolverine.Attributes.WolverineIgnore] // named like a handler, but not a message handler
public sealed class ProblemAuthorizationResultHandler(IProblemDetailsService problems) : IAuthorizationMiddlewareResultHandler
{
    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy,
        PolicyAuthorizationResult result)
    {
        if (result.Succeeded)
        {
            await next(context);
            return;
        }
        var needsLicenseKey = policy.Requirements.OfType<ClaimsAuthorizationRequirement>().Any(x => x.ClaimType == CatalogClaims.LicenseId);
        var failure = context.Items[CredentialAuthentication.FailureKey] as string;
        if (needsLicenseKey && (result.Challenged || result.Forbidden))
        {
            // The client endpoints take a license key only.
            context.Response.Headers.WWWAuthenticate = CatalogClaims.LicenseKeyScheme;
            await Write(context, Problems.Status(401,
                failure ?? "A license key is required: send it as 'Authorization: License <key>'."));
        }
        else if (result.Challenged || result.Forbidden && context.User.FindFirst(CatalogClaims.ApiKeyId) is null)
        {
            // Anything else takes an API key: a license key is not one.
            context.Response.Headers.WWWAuthenticate = "Bearer";
            await Write(context, Problems.Status(401,
                failure ?? "An API key is required: send it as 'Authorization: Bearer <key>'."));
        }
        else if (result.Forbidden)
        {
            var missing = result.AuthorizationFailure?.FailedRequirements
                .OfType<ClaimsAuthorizationRequirement>()
                .SelectMany(x => x.AllowedValues ?? [])
                .ToArray() ?? [];
            await Write(context, Problems.Status(403, missing.Length > 0
                ? $"This API key lacks the scope '{missing[0]}'" + (missing.Length > 1 ? $" (or '{string.Join("', '", missing[1..])}', which implies it)." : ".")
                : "This API key may not do this."));
        }
        else
        {
            await next(context);
        }
    }

    private Task Write(HttpContext context, Microsoft.AspNetCore.Mvc.ProblemDetails problem)
    {
        context.Response.StatusCode = problem.Status!.Value;
        return problems.WriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem }).AsTask();
    }
}
