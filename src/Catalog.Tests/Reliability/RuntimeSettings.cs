namespace Catalog.Tests.Reliability;

/// <summary>
/// What the service ships in its runtimeconfig, so that no operator has to know an environment variable for it
/// (bench/RESULTS.md measures what each costs).
/// </summary>
public class RuntimeSettings
{
    [Fact]
    public void the_service_runs_workstation_gc()
    {
        var built = Path.ChangeExtension(CommandLineRunner.ServiceExecutable(), ".runtimeconfig.json");
        var settings = JsonDocument.Parse(File.ReadAllText(built)).RootElement.GetProperty("runtimeOptions").GetProperty("configProperties");

        Assert.False(settings.GetProperty("System.GC.Server").GetBoolean(), "server GC holds a heap per core: more memory at the peak");
    }
}
