using System.Text.RegularExpressions;
using Microsoft.Extensions.Primitives;

namespace Catalog.Hosting;

/// <summary>
/// <c>describe</c> prints every configuration value with the provider it came from, which is what an operator pastes
/// into a ticket: the master key and the databases' passwords must not be in it. For that command only, every
/// configuration source is read through a mask: a value whose key names a secret is shown as <see cref="Mask"/>, and
/// the password of a connection string is. The command only describes, so nothing needs the real values.
/// </summary>
public static partial class DescribeWithoutSecrets
{
    public const string Mask = "****";

    public static void MaskSecretsWhenDescribing(this IConfigurationBuilder configuration, string[] args)
    {
        if (!string.Equals(args.FirstOrDefault(), "describe", StringComparison.OrdinalIgnoreCase)) return;
        for (var i = 0; i < configuration.Sources.Count; i++)
            configuration.Sources[i] = new MaskedSource(configuration.Sources[i]);
    }

    /// <summary>The value as <c>describe</c> shows it.</summary>
    public static string? Masked(string key, string? value)
    {
        if (string.IsNullOrEmpty(value)) return value;
        if (SecretKey().IsMatch(key)) return Mask;
        value = PasswordInConnectionString().Replace(value, m => m.Groups["name"].Value + "=" + Mask);
        return CredentialsInUrl().Replace(value, m => m.Groups["scheme"].Value + Mask + "@");
    }

    /// <summary>
    /// Any segment of the key naming a secret: Secrets:MasterKey, Secrets:PreviousMasterKeys:0, a password, a token, an
    /// API key, credentials, headers (OTEL_EXPORTER_OTLP_HEADERS carries an exporter's key), authorization.
    /// </summary>
    [GeneratedRegex(@"(^|[:_])(Secrets($|:)|[^:]*(MasterKey|Password|Passwd|Pwd|Secret|Token|ApiKey|Api_Key|Credential|Headers|Auth)[^:]*($|:))", RegexOptions.IgnoreCase)]
    private static partial Regex SecretKey();

    /// <summary>Npgsql's names for the password in a connection string, up to the next separator.</summary>
    [GeneratedRegex(@"(?<name>\b(Password|Pwd|Psw|Passfile)\s*)=\s*(""[^""]*""|'[^']*'|[^;]*)", RegexOptions.IgnoreCase)]
    private static partial Regex PasswordInConnectionString();

    /// <summary>A URL's user information (<c>postgres://user:password@host</c>, <c>http://user:password@proxy</c>).</summary>
    [GeneratedRegex(@"(?<scheme>[a-z][a-z0-9+.-]*://)[^/@\s]+@", RegexOptions.IgnoreCase)]
    private static partial Regex CredentialsInUrl();

    private sealed class MaskedSource(IConfigurationSource inner) : IConfigurationSource
    {
        public IConfigurationProvider Build(IConfigurationBuilder builder) => new MaskedProvider(inner.Build(builder));
    }

    private sealed class MaskedProvider(IConfigurationProvider inner) : IConfigurationProvider
    {
        public bool TryGet(string key, out string? value)
        {
            if (!inner.TryGet(key, out value)) return false;
            value = Masked(key, value);
            return true;
        }

        public void Set(string key, string? value) => inner.Set(key, value);
        public IChangeToken GetReloadToken() => inner.GetReloadToken();
        public void Load() => inner.Load();
        public IEnumerable<string> GetChildKeys(IEnumerable<string> earlierKeys, string? parentPath) => inner.GetChildKeys(earlierKeys, parentPath);

        // describe names each value's provider by this.
        public override string? ToString() => inner.ToString();
    }
}
