using System;
using System.IO;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace Catalog.Licensing
{
    /// <summary>Where the SDK keeps what it needs offline: the latest license file, the JWK Set and the latest trusted
    /// time, each a small text entry. Writes must be atomic: a crash leaves the old entry or the new, never half of one.</summary>
    public interface ILicenseStore
    {
        /// <summary>The entry's text, or null when there is none.</summary>
        Task<string?> ReadAsync(string name, CancellationToken cancellationToken = default);

        /// <summary>Replaces the entry, atomically.</summary>
        Task WriteAsync(string name, string content, CancellationToken cancellationToken = default);

        /// <summary>Removes the entry, if there is one.</summary>
        Task DeleteAsync(string name, CancellationToken cancellationToken = default);
    }

    /// <summary>Entries as files in one folder, each written to a temporary file and moved over the old one.</summary>
    public sealed class FileLicenseStore : ILicenseStore
    {
        /// <summary>A store in <paramref name="directory"/> (created when first written).</summary>
        public FileLicenseStore(string directory)
        {
            if (string.IsNullOrWhiteSpace(directory)) throw new ArgumentException("A directory is required.", nameof(directory));
            Directory = directory;
        }

        /// <summary>The folder the entries live in.</summary>
        public string Directory { get; }

        /// <summary>The default store of a license of a product: a folder of the user's local application data,
        /// <c>Catalog.Licensing/{product}/{a hash of the key}</c>, so that two licenses never share entries and the key
        /// itself is not written anywhere.</summary>
        public static FileLicenseStore ForLicense(string productCode, string licenseKey)
        {
            var root = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create);
            if (string.IsNullOrEmpty(root)) root = Path.GetTempPath();
            string keyHash;
            using (var sha = SHA256.Create())
                keyHash = Hex(sha.ComputeHash(Encoding.UTF8.GetBytes(licenseKey))).Substring(0, 16);
            return new FileLicenseStore(Path.Combine(root, "Catalog.Licensing", Safe(productCode), keyHash));
        }

        /// <inheritdoc />
        public Task<string?> ReadAsync(string name, CancellationToken cancellationToken = default)
        {
            var path = PathOf(name);
            try { return Task.FromResult<string?>(File.ReadAllText(path, Encoding.UTF8)); }
            catch (FileNotFoundException) { return Task.FromResult<string?>(null); }
            catch (DirectoryNotFoundException) { return Task.FromResult<string?>(null); }
        }

        /// <inheritdoc />
        public Task WriteAsync(string name, string content, CancellationToken cancellationToken = default)
        {
            System.IO.Directory.CreateDirectory(Directory);
            var path = PathOf(name);
            var temporary = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
            try
            {
                using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
                {
                    var bytes = Encoding.UTF8.GetBytes(content);
                    stream.Write(bytes, 0, bytes.Length);
                    stream.Flush(flushToDisk: true); // on disk before it takes the old one's place
                }
#if NET
                File.Move(temporary, path, overwrite: true);
#else
                if (File.Exists(path)) File.Replace(temporary, path, null);
                else File.Move(temporary, path);
#endif
            }
            finally
            {
                if (File.Exists(temporary)) File.Delete(temporary);
            }
            return Task.CompletedTask;
        }

        /// <inheritdoc />
        public Task DeleteAsync(string name, CancellationToken cancellationToken = default)
        {
            var path = PathOf(name);
            if (File.Exists(path)) File.Delete(path);
            return Task.CompletedTask;
        }

        private string PathOf(string name) => Path.Combine(Directory, Safe(name));

        private static string Safe(string name)
        {
            var builder = new StringBuilder(name.Length);
            foreach (var c in name) builder.Append(char.IsLetterOrDigit(c) || c == '-' || c == '_' || c == '.' ? c : '_');
            return builder.ToString();
        }

        internal static string Hex(byte[] bytes)
        {
            var builder = new StringBuilder(bytes.Length * 2);
            foreach (var b in bytes) builder.Append(b.ToString("x2"));
            return builder.ToString();
        }
    }
}
