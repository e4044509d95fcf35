using Microsoft.Extensions.DependencyInjection;

namespace Catalog.Tests.Reliability;

/// <summary>
/// A serving process records the methods its start compiled, in the service user's cache folder (Hosting/FastStart.cs),
/// for the next start of the same build to compile on another core ahead of need; what it gains is measured in bench/.
/// It must never cost a start, nor read or write through a file someone else planted.
/// </summary>
public class StartingFast(AppFixture fixture) : ApiTest(fixture)
{
    [Fact]
    public async Task a_start_records_the_profile_the_next_start_reads_and_an_earlier_builds_is_removed()
    {
        var temp = Directory.CreateTempSubdirectory("catalog-cache-");
        try
        {
            var folder = Directory.CreateDirectory(Path.Combine(temp.FullName, "catalog-jit"),
                UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute).FullName;
            var earlierBuilds = Path.Combine(folder, $"serve-{Guid.NewGuid()}.jitprofile");
            await File.WriteAllTextAsync(earlierBuilds, "an earlier build's profile");
            var environment = new Dictionary<string, string> { ["XDG_CACHE_HOME"] = temp.FullName };

            var first = await ServiceProcess.Start(environment);
            await using (first)
            {
                Assert.False(File.Exists(earlierBuilds));
                await first.Stop(); // the runtime writes the profile as the process exits
            }

            var profile = new FileInfo(Assert.Single(Directory.GetFiles(folder)));
            Assert.Matches(@"^serve-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.jitprofile$", profile.Name);
            Assert.True(profile.Length > 10_000, $"a profile of the thousands of methods a start compiles: {profile.Length} bytes");

            // The next start reads it, and serves.
            await using var second = await ServiceProcess.Start(environment);
            Assert.Equal(200, (int)(await second.Http.GetAsync("/health/ready")).StatusCode);
            Assert.Equal(profile.FullName, Assert.Single(Directory.GetFiles(folder)));
        }
        finally
        {
            temp.Delete(recursive: true);
        }
    }

    [Fact]
    public void a_start_loads_no_data_protection_key_ring_which_nothing_uses()
    {
        var atStart = Host.Services.GetServices<Microsoft.Extensions.Hosting.IHostedService>().Select(x => x.GetType().FullName).ToList();

        Assert.Contains("Catalog.Hosting.DatabaseServices", atStart);
        Assert.DoesNotContain("Microsoft.AspNetCore.DataProtection.Internal.DataProtectionHostedService", atStart);
    }

    [Fact]
    public async Task a_cache_folder_that_cannot_be_written_does_not_stop_a_start()
    {
        // /dev/null is a file: no folder can be made under it.
        await using var service = await ServiceProcess.Start(new Dictionary<string, string> { ["XDG_CACHE_HOME"] = "/dev/null" });

        Assert.Equal(200, (int)(await service.Http.GetAsync("/health/ready")).StatusCode);
    }

    [Fact]
    public async Task a_profile_that_is_a_link_or_a_folder_others_can_write_is_neither_read_nor_written()
    {
        var temp = Directory.CreateTempSubdirectory("catalog-cache-");
        try
        {
            var environment = new Dictionary<string, string> { ["XDG_CACHE_HOME"] = temp.FullName };
            var folder = Path.Combine(temp.FullName, "catalog-jit");
            await using (var first = await ServiceProcess.Start(environment)) await first.Stop();
            var profile = Assert.Single(Directory.GetFiles(folder));
            // Made for the service's user alone.
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(folder));

            // Someone replaces the profile with a link to another file: the next start removes the link, reads nothing
            // through it, and at its exit writes a profile of its own, not the linked file.
            var victim = Path.Combine(temp.FullName, "victim.txt");
            await File.WriteAllTextAsync(victim, "not a profile");
            File.Delete(profile);
            File.CreateSymbolicLink(profile, victim);
            await using (var second = await ServiceProcess.Start(environment)) await second.Stop();
            Assert.Equal("not a profile", await File.ReadAllTextAsync(victim));
            Assert.Null(new FileInfo(profile).LinkTarget);
            Assert.True(new FileInfo(profile).Length > 10_000);

            // A folder that others can write is not used at all.
            File.Delete(profile);
            File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                                         | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute);
            await using (var third = await ServiceProcess.Start(environment)) await third.Stop();
            Assert.Empty(Directory.GetFiles(folder));
        }
        finally
        {
            temp.Delete(recursive: true);
        }
    }
}
