using System.Runtime;

namespace Catalog.Hosting;

/// <summary>
/// What makes a start fast, beyond ReadyToRun and the committed generated code. Multi-core JIT (the runtime's
/// <see cref="ProfileOptimization"/>): a serving process records which methods it compiled while starting, and the next start of the same build compiles them again on another core, ahead of the thread that
/// needs them. ReadyToRun leaves thousands of generic methods (framework generics over Marten's, Wolverine's, Npgsql's
/// and our types) to the JIT at start; with the profile a start took ≈20% less time to its first answer (bench/README.md).
/// The first start of a build records its profile and gains nothing. Nothing here may stop the service from starting:
/// a temporary folder that cannot be written is simply no profile.
/// </summary>
public static class FastStart
{
    /// <summary>Where the profiles live: the system's temporary folder (<c>TMPDIR</c>), one file per build.</summary>
    public static string Folder => Path.Combine(Path.GetTempPath(), "catalog-jit");

    /// <summary>The profile of this build: named by the assembly's module version id, so another build never reads it.</summary>
    public static string ProfileName => $"serve-{typeof(FastStart).Assembly.ManifestModule.ModuleVersionId}.jitprofile";

    /// <summary>
    /// Called first thing when serving (not for the command line, whose start is another), in the service's own process
    /// only: a test host that runs the service in its own process records nothing.
    /// </summary>
    public static void RecordAndReplayTheJit()
    {
        if (System.Reflection.Assembly.GetEntryAssembly() != typeof(FastStart).Assembly) return;
        try
        {
            Directory.CreateDirectory(Folder);
            // Earlier builds' profiles are of no use to this one.
            foreach (var stale in Directory.EnumerateFiles(Folder, "serve-*.jitprofile"))
                if (Path.GetFileName(stale) != ProfileName) File.Delete(stale);
            ProfileOptimization.SetProfileRoot(Folder);
            ProfileOptimization.StartProfile(ProfileName);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    /// <summary>
    /// Authentication brings ASP.NET's data protection, which nothing here uses (no cookie, no antiforgery token): its
    /// hosted service would read, or on a first start write, a key ring at every start, for nothing. Called once every
    /// registration is made (each AddAuthentication adds it back).
    /// </summary>
    public static IServiceCollection WithoutAKeyRingAtStart(this IServiceCollection services)
    {
        foreach (var keyRingAtStart in services.Where(x => x.ServiceType == typeof(IHostedService)
                     && x.ImplementationType?.FullName == "Microsoft.AspNetCore.DataProtection.Internal.DataProtectionHostedService").ToList())
            services.Remove(keyRingAtStart);
        return services;
    }
}
