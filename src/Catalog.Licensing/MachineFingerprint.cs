using System;
using System.Diagnostics;
using System.IO;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace Catalog.Licensing
{
    /// <summary>
    /// A fingerprint for this machine that survives reboots and reinstalls of the software, from the id the operating
    /// system keeps for the machine:
    /// <list type="bullet">
    /// <item>Windows: <c>HKLM\SOFTWARE\Microsoft\Cryptography\MachineGuid</c> (set at Windows setup);</item>
    /// <item>macOS: the <c>IOPlatformUUID</c> of <c>IOPlatformExpertDevice</c> (the hardware UUID);</item>
    /// <item>Linux: <c>/etc/machine-id</c>, else <c>/var/lib/dbus/machine-id</c> (systemd's and D-Bus's id);</item>
    /// <item>FreeBSD: <c>/etc/hostid</c>.</item>
    /// </list>
    /// The id never leaves the machine: the fingerprint is HMAC-SHA256 of it keyed with the product's code, so that it
    /// is stable for one product and different vendors (or products) cannot match their users' machines.
    /// Supply your own (<see cref="LicensingOptions.Fingerprint"/>) for anything else, e.g. a per-user license.
    /// </summary>
    public static class MachineFingerprint
    {
        /// <summary>This machine's fingerprint for a product: 64 hexadecimal characters.</summary>
        /// <exception cref="PlatformNotSupportedException">No machine id could be read (then supply your own).</exception>
        public static string ForProduct(string productCode) =>
            From(ReadMachineId() ?? throw new PlatformNotSupportedException(
                "No machine id could be read on this system: set LicensingOptions.Fingerprint."), productCode);

        /// <summary>The fingerprint an id gives for a product (the hash <see cref="ForProduct"/> uses).</summary>
        public static string From(string machineId, string productCode)
        {
            using var hmac = new HMACSHA256(Encoding.UTF8.GetBytes("Catalog.Licensing/" + productCode));
            return FileLicenseStore.Hex(hmac.ComputeHash(Encoding.UTF8.GetBytes(machineId.Trim().ToLowerInvariant())));
        }

        /// <summary>The operating system's id of this machine, or null when none could be read.</summary>
        internal static string? ReadMachineId()
        {
            try
            {
                if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows)) return Windows();
                if (RuntimeInformation.IsOSPlatform(OSPlatform.OSX))
                    return Between(Run("ioreg", "-rd1 -c IOPlatformExpertDevice"), "\"IOPlatformUUID\" = \"", "\"");
                return FirstFile("/etc/machine-id", "/var/lib/dbus/machine-id", "/etc/hostid");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.ComponentModel.Win32Exception or InvalidOperationException)
            {
                return null;
            }
        }

        private static string? Windows()
        {
#if NET
            if (!OperatingSystem.IsWindows()) return null;
            using var key = Microsoft.Win32.RegistryKey.OpenBaseKey(Microsoft.Win32.RegistryHive.LocalMachine, Microsoft.Win32.RegistryView.Registry64)
                .OpenSubKey(@"SOFTWARE\Microsoft\Cryptography");
            return key?.GetValue("MachineGuid") as string;
#else
            // netstandard2.0 has no registry API: the same value through reg.exe.
            var output = Run("reg", @"query HKLM\SOFTWARE\Microsoft\Cryptography /v MachineGuid /reg:64");
            var at = output?.IndexOf("REG_SZ", StringComparison.Ordinal) ?? -1;
            return at < 0 ? null : output!.Substring(at + "REG_SZ".Length).Trim();
#endif
        }

        private static string? FirstFile(params string[] paths)
        {
            foreach (var path in paths)
                if (File.Exists(path) && File.ReadAllText(path).Trim() is { Length: > 0 } id) return id;
            return null;
        }

        private static string? Run(string program, string arguments)
        {
            var start = new ProcessStartInfo(program, arguments)
            {
                RedirectStandardOutput = true, UseShellExecute = false, CreateNoWindow = true,
            };
            using var process = Process.Start(start);
            if (process is null) return null;
            var output = process.StandardOutput.ReadToEnd();
            process.WaitForExit(5000);
            return output;
        }

        private static string? Between(string? text, string before, string after)
        {
            if (text is null) return null;
            var start = text.IndexOf(before, StringComparison.Ordinal);
            if (start < 0) return null;
            start += before.Length;
            var end = text.IndexOf(after, start, StringComparison.Ordinal);
            return end < 0 ? null : text.Substring(start, end - start);
        }
    }
}
