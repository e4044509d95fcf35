using System.Diagnostics;

namespace Catalog.Tests.LicenseFiles;

/// <summary>
/// A second, independent implementation: panva/jose on Node.js (tests/tools/verify-license-file.mjs), which knows
/// nothing of Catalog but the JWK Set it is given.
/// </summary>
public static class Jose
{
    public sealed record Verdict(bool Valid, string? Error, JsonElement Header, JsonElement Claims);

    /// <summary>Verifies as a verifier configured with the issuer and, when given, its own product's code (the audience) does.</summary>
    public static async Task<Verdict> Verify(string file, string jwks, string issuer = "catalog", string? audience = null)
    {
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = TestTools.Directory,
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true
        };
        start.ArgumentList.Add("verify-license-file.mjs");
        using var process = Process.Start(start)!;
        await process.StandardInput.WriteAsync(JsonSerializer.Serialize(new { file, jwks = JsonDocument.Parse(jwks).RootElement, issuer, audience }));
        process.StandardInput.Close();
        var output = await process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0 && output.Length > 0, $"node verify-license-file.mjs: {error}");

        var verdict = JsonDocument.Parse(output).RootElement;
        return verdict.GetProperty("valid").GetBoolean()
            ? new Verdict(true, null, verdict.GetProperty("header"), verdict.GetProperty("claims"))
            : new Verdict(false, verdict.GetProperty("error").GetString(), default, default);
    }
}
