using System.Runtime;

namespace Catalog.Hosting;

/// <summary>
/// What makes a start fast, beyond ReadyToRun and the committed generated code.
/// <para>
/// Multi-core JIT (the runtime's <see cref="ProfileOptimization"/>): a serving process records which methods it
/// compiled while starting, and the next start of the same build compiles them again on another core, ahead of the
/// thread that needs them. ReadyToRun leaves thousands of generic methods (framework generics over Marten's,
/// Wolverine's, Npgsql's and our types) to the JIT at start; with the profile a start took ≈20% less time to its first
/// answer (bench/README.md, issue 29). The first start of a build records its profile and gains nothing.
/// </para>
/// <para>
/// The profile is the service user's own, in its cache folder (<c>$XDG_CACHE_HOME</c>, else <c>~/.cache</c>), never a
/// folder other users can write: the runtime reads the file at start and writes it at exit, following links, so a
/// file planted by someone else could make it load assemblies or overwrite another file. The folder is made for the
/// user alone, and a folder or profile that is a link is not used. Nothing here may stop a start: a cache folder that
/// cannot be written is simply no profile.
/// </para>
/// </summary>
public static class FastStart
{
    /// <summary>Where the profiles live: the user's cache folder, one file per build.</summary>
    public static string? Folder =>
        (Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } cache ? cache
            : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile) is { Length: > 0 } home ? Path.Combine(home, ".cache")
            : null) is { } root ? Path.Combine(root, "catalog-jit") : null;

    /// <summary>The profile of this build: named by the assembly's module version id, so another build never reads it.</summary>
    public static string ProfileName => $"serve-{typeof(FastStart).Assembly.ManifestModule.ModuleVersionId}.jitprofile";

    /// <summary>
    /// Called first thing when serving (not for the command line, whose start is another), and only when this assembly
    /// is the process's entry: a test that hosts the service inside its own process records nothing.
    /// </summary>
    public static void RecordAndReplayTheJit()
    {
        // A Unix service: the folder's ownership checks below are Unix file modes.
        if (OperatingSystem.IsWindows() || System.Reflection.Assembly.GetEntryAssembly() != typeof(FastStart).Assembly
            || Folder is not { } folder) return;
        try
        {
            var made = Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            if (made.LinkTarget is not null
                || (File.GetUnixFileMode(folder) & (UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0) return;
            foreach (var file in Directory.EnumerateFiles(folder, "serve-*.jitprofile"))
            {
                // Earlier builds' profiles are of no use to this one, and a profile that is a link is not read.
                if (Path.GetFileName(file) != ProfileName || new FileInfo(file).LinkTarget is not null) File.Delete(file);
            }
            ProfileOptimization.SetProfileRoot(folder);
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
