using Catalog.Http;
using Catalog.Conventions;

namespace Catalog.Accounts;

/// <summary>Accounts and API keys: their documents, authentication by key, one policy per scope, rate limits per key.</summary>
public static class AccountsConfiguration
{
    /// <summary>Accounts and keys are not tenanted: they are how a request finds its tenant.</summary>
    public static StoreOptions ConfigureAccounts(this StoreOptions options)
    {
        options.Schema.For<Account>().SingleTenanted();
        options.Schema.For<ApiKey>().SingleTenanted()
            .UniqueIndex(Marten.Schema.UniqueIndexType.Computed, "mt_doc_apikey_uidx_hash", x => x.Hash)
            .Index(x => x.AccountId);
        return options;
    }

    /// <summary>One policy per scope, named as the scope: endpoints say <c>[Authorize(Scopes.ProductsRead)]</c>.</summary>
    public static IServiceCollection AddAccounts(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<CredentialCache>();
        services.AddSingleton<ApiKeyDirectory>();
        services.AddSingleton<ICredentialKind>(provider => provider.GetRequiredService<ApiKeyDirectory>());
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, ProblemAuthorizationResultHandler>();
        // One scheme for every credential (Http/Credentials.cs): an API key here, "License <key>" in Licenses/.
        services.AddCredentialAuthentication();
        services.AddAuthorization(options =>
        {
            foreach (var scope in Scopes.All)
                options.AddPolicy(scope, policy => policy.RequireAuthenticatedUser().RequireClaim(CatalogClaims.Scope, Scopes.Granting(scope)));
            options.AddPolicy(CatalogClaims.LicenseKeyPolicy, policy => policy.RequireAuthenticatedUser().RequireClaim(CatalogClaims.LicenseId));

            // Anything that does not say otherwise needs a key: only health and docs opt out.
            options.FallbackPolicy = new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build();
        });
        services.AddApiKeyRateLimits(configuration);
        return services;
    }
}
