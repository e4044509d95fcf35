
namespace Catalog.SigningKeys;

/// <summary>
/// Signing keys: one document per key (not tenanted: the JWK Set is read without a credential, and the command
/// line works across accounts), the ring that makes, rotates and retires them, and the settings of the files they sign.
/// </summary>
public static class SigningKeysConfiguration
{
    /// <summary>One key per generation per account: the race to make an account's first key has one winner.</summary>
    public const string GenerationIndex = "mt_doc_signingkey_uidx_generation";

    public static StoreOptions ConfigureSigningKeys(this StoreOptions options)
    {
        options.Schema.For<SigningKey>().SingleTenanted()
            .UniqueIndex(Marten.Schema.UniqueIndexType.Computed, GenerationIndex, x => x.AccountId, x => x.Generation);
        return options;
    }

    public static IServiceCollection AddSigningKeys(this IServiceCollection services, IConfiguration configuration)
    {
        var settings = configuration.GetSection("Signing").Get<SigningSettings>() ?? new SigningSettings();
        if (settings.FileLifetime <= TimeSpan.Zero || settings.FileLifetime > SigningSettings.LongestFileLifetime)
            throw new InvalidOperationException("Signing:FileLifetime must be longer than zero and at most 3650 days, e.g. 30.00:00:00 for 30 days");
        services.AddSingleton(settings);
        services.AddSingleton<SigningKeyRing>();
        services.AddSingleton<Accounts.INewAccountSetup, FirstSigningKey>(); // every account is created with its first key
        services.AddSingleton(ResealSigningKeys.PrivateKeys); // master key rotation
        return services;
    }
}

/// <summary>Configuration section <c>Signing</c>: what license files say of themselves.</summary>
public sealed class SigningSettings
{
    /// <summary>The files' <c>iss</c> claim.</summary>
    public string Issuer { get; set; } = "catalog";

    /// <summary>Ten years: a file of a license without expiry must still end, and within what a timestamp can hold.</summary>
    public static readonly TimeSpan LongestFileLifetime = TimeSpan.FromDays(3650);

    /// <summary>How long a file is valid after it is issued (never past its license's expiry).</summary>
    public TimeSpan FileLifetime { get; set; } = TimeSpan.FromDays(30);
}
