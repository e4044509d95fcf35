using Catalog.Licensing;

namespace Catalog.Tests.Sdk;

/// <summary>The machine's fingerprint is stable and reveals no hardware id; the store writes whole entries or none.</summary>
public class FingerprintsAndStore
{
    [Fact]
    public void the_fingerprint_is_stable_per_product_differs_between_products_and_is_a_hash_not_the_machine_id()
    {
        var id = MachineFingerprint.ReadMachineId();
        Assert.False(string.IsNullOrWhiteSpace(id)); // this machine has one (Linux: /etc/machine-id)
        var first = MachineFingerprint.ForProduct("desktop-app-pro");
        Assert.Equal(first, MachineFingerprint.ForProduct("desktop-app-pro"));
        Assert.Matches("^[0-9a-f]{64}$", first);
        Assert.NotEqual(first, MachineFingerprint.ForProduct("another-product"));
        Assert.DoesNotContain(id!.Trim().ToLowerInvariant(), first);
        Assert.Equal(first, MachineFingerprint.From(id.ToUpperInvariant() + "\n", "desktop-app-pro"));
    }

    [Fact]
    public async Task the_file_store_replaces_entries_whole_leaves_no_temporary_files_and_answers_null_for_none()
    {
        var folder = Path.Combine(Path.GetTempPath(), "catalog-store-" + Guid.NewGuid().ToString("N"));
        try
        {
            var store = new FileLicenseStore(folder);
            Assert.Null(await store.ReadAsync("license-file"));
            var values = Enumerable.Range(0, 20).Select(i => new string((char)('a' + i), 10_000 + i)).ToList();
            await Task.WhenAll(values.Select(value => Task.Run(() => store.WriteAsync("license-file", value))));
            Assert.Contains(await store.ReadAsync("license-file"), values);
            Assert.Equal(["license-file"], Directory.GetFiles(folder).Select(Path.GetFileName));
            await store.DeleteAsync("license-file");
            Assert.Null(await store.ReadAsync("license-file"));
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void the_default_store_is_per_product_and_license_and_does_not_hold_the_key_in_its_path()
    {
        var store = FileLicenseStore.ForLicense("desktop-app-pro", "DSK-A2B3-C4D5-E6F7-G8H9");
        Assert.Contains(Path.Combine("Catalog.Licensing", "desktop-app-pro"), store.Directory);
        Assert.DoesNotContain("DSK-A2B3", store.Directory);
        Assert.NotEqual(store.Directory, FileLicenseStore.ForLicense("desktop-app-pro", "DSK-ZZZZ-C4D5-E6F7-G8H9").Directory);
    }
}
