namespace Catalog.Validation;

/// <summary>Validation: the vendor's and the client's, each one read of the license with all it consults.</summary>
public static class ValidationConfiguration
{
    public static IServiceCollection AddValidation(this IServiceCollection services) => services.AddSingleton<LicenseInOneRead>();
}
