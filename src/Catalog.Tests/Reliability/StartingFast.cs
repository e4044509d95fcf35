using Microsoft.Extensions.DependencyInjection;

namespace Catalog.Tests.Reliability;

/// <summary>
/// A serving process records the methods its start compiled, in the temporary folder (Hosting/FastStart.cs), for the
/// next start of the same build to compile on another core ahead of need; what it gains is measured in bench/. It must
/// never cost a start: a folder that cannot be written is simply no profile.
/// </summary>
public class StartingFast(AppFixture fixture) : ApiTest(fixture)
{
    [Fact]
    public async Task a_start_records_the_profile_the_next_start_reads_and_an_earlier_builds_is_removed()
    {
        var temp = Directory.CreateTempSubdirectory("catalog-tmpdir-");
        try
        {
            var folder = Directory.CreateDirectory(Path.Combine(temp.FullName, "catalog-jit")).FullName;
            var earlierBuilds = Path.Combine(folder, $"serve-{Guid.NewGuid()}.jitprofile");
            await File.WriteAllTextAsync(earlierBuilds, "an earlier build's profile");
            var environment = new Dictionary<string, string> { ["TMPDIR"] = temp.FullName + "/" };

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
    public async Task a_temporary_folder_that_cannot_be_written_does_not_stop_a_start()
    {
        // /dev/null is a file: no folder can be made under it.
        await using var service = await ServiceProcess.Start(new Dictionary<string, string> { ["TMPDIR"] = "/dev/null/" });

        Assert.Equal(200, (int)(await service.Http.GetAsync("/health/ready")).StatusCode);
    }
}
