using System.Text;
using System.Text.RegularExpressions;
using Spectre.Console;

namespace Catalog.Secrets;

/// <summary>
/// <c>describe</c> prints every configuration value with the provider it came from, which is what an operator pastes
/// into a ticket: the master key and the databases' passwords must not be in it. The command itself still needs the
/// real values (it builds the host, and with shards it connects), so what it writes is masked on its way out: every
/// value <see cref="Masked"/> would hide, taken from every configuration provider, is replaced by <see cref="Mask"/>,
/// line by line, with lines wide enough that no value is wrapped across two.
/// </summary>
public static partial class DescribeWithoutSecrets
{
    public const string Mask = "****";

    public static void MaskSecretsWhenDescribing(this IConfiguration configuration, string[] args)
    {
        if (!string.Equals(args.FirstOrDefault(), "describe", StringComparison.OrdinalIgnoreCase)) return;
        var writer = new MaskingWriter(Console.Out, SecretsIn(configuration));
        Console.SetOut(writer);
        AnsiConsole.Console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            // Colours for a terminal only, as the console's own would: not into a file or a ticket.
            Ansi = Console.IsOutputRedirected ? AnsiSupport.No : AnsiSupport.Detect,
            ColorSystem = Console.IsOutputRedirected ? ColorSystemSupport.NoColors : ColorSystemSupport.Detect
        });
        AnsiConsole.Console.Profile.Width = 4096;
    }

    /// <summary>Every secret any provider holds (not only the values in force): what it is, longest first.</summary>
    private static List<string> SecretsIn(IConfiguration configuration)
    {
        var secrets = new HashSet<string>(StringComparer.Ordinal);
        var providers = (configuration as IConfigurationRoot)?.Providers.ToList() ?? [];
        foreach (var key in configuration.AsEnumerable().Select(x => x.Key))
            foreach (var provider in providers)
            {
                if (!provider.TryGet(key, out var value) || string.IsNullOrEmpty(value) || Masked(key, value) == value) continue;
                if (SecretKey().IsMatch(key)) secrets.Add(value);
                try
                {
                    if (new NpgsqlConnectionStringBuilder(value).Password is { Length: > 0 } password) secrets.Add(password);
                }
                catch (Exception) { } // not a connection string: nothing more to take from it
                foreach (Match url in CredentialsInUrl().Matches(value)) secrets.Add(url.Value[url.Groups["scheme"].Length..^1]);
            }
        return secrets.OrderByDescending(x => x.Length).ToList();
    }

    /// <summary>Writes whole lines, each with every secret replaced.</summary>
    private sealed class MaskingWriter(TextWriter inner, List<string> secrets) : TextWriter
    {
        private readonly StringBuilder _line = new();

        public override Encoding Encoding => inner.Encoding;

        public override void Write(char value)
        {
            _line.Append(value);
            if (value == '\n') Flush();
        }

        public override void Write(string? value)
        {
            if (value is null) return;
            _line.Append(value);
            if (value.Contains('\n')) Flush();
        }

        public override void Flush()
        {
            var text = _line.ToString();
            _line.Clear();
            foreach (var secret in secrets) text = text.Replace(secret, Mask, StringComparison.Ordinal);
            inner.Write(CredentialsInUrl().Replace(text, m => m.Groups["scheme"].Value + Mask + "@"));
            inner.Flush();
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) Flush();
            base.Dispose(disposing);
        }
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
}
