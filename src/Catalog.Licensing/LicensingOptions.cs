using System;
using System.Net.Http;

namespace Catalog.Licensing
{
    /// <summary>What the SDK needs to know: where the service is, which product this software is, its license key,
    /// whose keys sign its license files, and this machine's fingerprint.</summary>
    public sealed class LicensingOptions
    {
        /// <summary>The service's address, e.g. <c>https://licensing.example.com</c>. Required.</summary>
        public Uri? ServiceUrl { get; set; }

        /// <summary>This software's product code. Sent with every call, so that a key for another product unlocks nothing,
        /// and required as the <c>aud</c> of every license file. Required.</summary>
        public string ProductCode { get; set; } = "";

        /// <summary>The license key the user entered. Required.</summary>
        public string LicenseKey { get; set; } = "";

        /// <summary>The vendor's account id: its JWK Set is fetched from <c>/api/v1/accounts/{id}/jwks.json</c> (over HTTPS
        /// only, but on loopback), cached, and fetched again when a file names a key the cache lacks (a rotation). Not
        /// needed when <see cref="PinnedJwks"/> is set. The cache is on the machine's disk, which its owner can write:
        /// pin the keys where that matters.</summary>
        public Guid? AccountId { get; set; }

        /// <summary>The account's JWK Set (its JSON), fixed at build: the SDK then never fetches keys, so no one answering
        /// in the service's place can substitute theirs. A key rotated in later needs a new build.</summary>
        public string? PinnedJwks { get; set; }

        /// <summary>The <c>iss</c> every license file must carry: the service's <c>Signing:Issuer</c> (default <c>catalog</c>).</summary>
        public string Issuer { get; set; } = "catalog";

        /// <summary>This machine's fingerprint. Default: <see cref="MachineFingerprint.ForProduct"/> of
        /// <see cref="ProductCode"/> (a hash of the operating system's machine id).</summary>
        public string? Fingerprint { get; set; }

        /// <summary>The name the machine is activated under. Default: the machine's name.</summary>
        public string? MachineName { get; set; }

        /// <summary>Where the license file, the JWK Set and the latest trusted time are kept. Default: a
        /// <see cref="FileLicenseStore"/> in the user's local application data folder.</summary>
        public ILicenseStore? Store { get; set; }

        /// <summary>How far behind the latest trusted time (a verified file's <c>iat</c>, the service's <c>Date</c>) the
        /// machine's clock may be before a check says <see cref="LicenseStatus.ClockTampered"/>. Default 5 minutes.</summary>
        public TimeSpan ClockTolerance { get; set; } = TimeSpan.FromMinutes(5);

        /// <summary>How long one request may take. Default 15 seconds.</summary>
        public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(15);

        /// <summary>How long <see cref="LicensingClient.CheckAsync"/> waits for the service before it decides from the
        /// cached file: an app that starts on a network that drops packets should not wait the whole
        /// <see cref="RequestTimeout"/>. Default 5 seconds.</summary>
        public TimeSpan CheckTimeout { get; set; } = TimeSpan.FromSeconds(5);

        /// <summary>The HTTP handler to send through (a proxy's, a test's). Default: a <see cref="HttpClientHandler"/>.</summary>
        public HttpMessageHandler? HttpHandler { get; set; }

        /// <summary>The clock. Default: the system's.</summary>
        public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

        internal void Check()
        {
            if (ServiceUrl is null || !ServiceUrl.IsAbsoluteUri) throw new ArgumentException("ServiceUrl must be an absolute URL.", nameof(ServiceUrl));
            if (string.IsNullOrWhiteSpace(ProductCode)) throw new ArgumentException("ProductCode is required.", nameof(ProductCode));
            if (string.IsNullOrWhiteSpace(LicenseKey)) throw new ArgumentException("LicenseKey is required.", nameof(LicenseKey));
            if (AccountId is null && PinnedJwks is null)
                throw new ArgumentException("Set AccountId (the JWK Set is fetched) or PinnedJwks (it is fixed at build).", nameof(AccountId));
            if (ClockTolerance < TimeSpan.Zero) throw new ArgumentException("ClockTolerance cannot be negative.", nameof(ClockTolerance));
        }
    }
}
