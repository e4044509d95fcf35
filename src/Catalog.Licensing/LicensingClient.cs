using System;
using System.Collections.Generic;
using System.Globalization;
using System.Net.Http;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;

namespace Catalog.Licensing
{
    /// <summary>
    /// The software's side of licensing: activate this machine, check its license (online, or offline from the cached
    /// signed file), send heartbeats, hold leases, count metered use, and activate air-gapped machines. Every call sends
    /// the product's code, so a key for another product unlocks nothing. Thread-safe; make one per license and keep it.
    /// </summary>
    public sealed class LicensingClient : IDisposable
    {
        internal const string FileEntry = "license-file", KeysEntry = "jwks", TrustedTimeEntry = "trusted-time";

        private readonly LicensingOptions _options;
        private readonly ServiceConnection _service;
        private readonly string _fingerprint;

        /// <summary>A client for one license of one product.</summary>
        /// <exception cref="ArgumentException">A required option is missing.</exception>
        /// <exception cref="PlatformNotSupportedException">No fingerprint was given and the machine's id cannot be read.</exception>
        public LicensingClient(LicensingOptions options)
        {
            if (options is null) throw new ArgumentNullException(nameof(options));
            options.Check();
            _options = options;
            Store = options.Store ?? FileLicenseStore.ForLicense(options.ProductCode, options.LicenseKey);
            _service = new ServiceConnection(options);
            // Resolved now: a machine without an id fails here, at start, not in every call.
            _fingerprint = options.Fingerprint ?? MachineFingerprint.ForProduct(options.ProductCode);
        }

        /// <summary>This machine's fingerprint, as sent to the service.</summary>
        public string Fingerprint => _fingerprint;

        /// <summary>Where the license file, the JWK Set and the latest trusted time are kept.</summary>
        public ILicenseStore Store { get; }

        internal LicensingOptions Options => _options;

        private string Product => _options.ProductCode;
        private string ProductQuery => "?product=" + Uri.EscapeDataString(Product);
        private string MachinePath => "api/v1/client/machines/" + Uri.EscapeDataString(Fingerprint);

        /// <summary>Activates this machine: takes a seat (201), or finds it already active (activation is idempotent).</summary>
        /// <param name="metadata">Stored with the machine (an app version, an OS name).</param>
        /// <param name="cancellationToken">Cancels the call.</param>
        public async Task<LicensingResult<Machine>> ActivateAsync(IDictionary<string, string>? metadata = null, CancellationToken cancellationToken = default)
        {
            var body = new ActivateBody
            {
                Fingerprint = Fingerprint, Name = MachineName, Product = Product,
                Metadata = metadata is null ? null : new Dictionary<string, string>(metadata),
            };
            var answer = await _service.Send(HttpMethod.Post, "api/v1/client/machines", body, WireJson.Default.ActivateBody, null, true, cancellationToken)
                .ConfigureAwait(false);
            return ServiceConnection.Read(answer, WireJson.Default.EnvelopeMachine);
        }

        /// <summary>Gives this machine's seat back (uninstall), and forgets the cached license file.</summary>
        public async Task<LicensingResult> DeactivateAsync(CancellationToken cancellationToken = default)
        {
            var answer = await _service.Send(HttpMethod.Delete, MachinePath + ProductQuery, null, null, true, cancellationToken).ConfigureAwait(false);
            if (!answer.IsSuccess) return LicensingResult.Failure(ServiceConnection.Error(answer));
            await ForgetAsync(FileEntry, cancellationToken).ConfigureAwait(false);
            return LicensingResult.Success;
        }

        /// <summary>Asks the service whether this machine may use the license now, and whether it grants these
        /// entitlements. An online answer that is not signed: decide with <see cref="CheckAsync"/>, which never grants on one.</summary>
        public async Task<LicensingResult<Validation>> ValidateAsync(IEnumerable<string>? entitlements = null, CancellationToken cancellationToken = default)
        {
            var body = new ValidateBody
            {
                Fingerprint = Fingerprint, Product = Product, Entitlements = entitlements is null ? null : new List<string>(entitlements),
            };
            var answer = await _service.Send(HttpMethod.Post, "api/v1/client/validate", body, WireJson.Default.ValidateBody, null, true, cancellationToken)
                .ConfigureAwait(false);
            return ServiceConnection.Read(answer, WireJson.Default.EnvelopeValidation);
        }

        /// <summary>The license as the service has it now (its uses, seats, leases).</summary>
        public async Task<LicensingResult<LicenseDetails>> GetLicenseAsync(CancellationToken cancellationToken = default)
        {
            var answer = await _service.Send(HttpMethod.Get, "api/v1/client/license" + ProductQuery, null, null, true, cancellationToken).ConfigureAwait(false);
            return ServiceConnection.Read(answer, WireJson.Default.EnvelopeLicenseDetails);
        }

        /// <summary>
        /// May the software run? Offline first: online it fetches a fresh signed license file for this machine, verifies
        /// it and caches it; when the service cannot be reached (or answers something that does not verify: a proxy, a
        /// captive portal, a fake server) it decides from the cached file until its <c>exp</c>. It grants only on a
        /// file whose signature verifies with the account's keys, and refuses when the machine's clock is behind the
        /// latest trusted time it has seen. A refusal by the service (suspended, expired, not activated, ...) forgets the
        /// cached file, so that going offline does not bring it back.
        /// </summary>
        public async Task<LicenseCheck> CheckAsync(CancellationToken cancellationToken = default)
        {
            var body = new FileBody { Fingerprint = Fingerprint, Product = Product };
            var answer = await _service.Send(HttpMethod.Post, "api/v1/client/license-file", body, WireJson.Default.FileBody, null, true, cancellationToken,
                _options.CheckTimeout).ConfigureAwait(false);
            LicensingError error;
            if (answer.IsSuccess)
            {
                var issued = ServiceConnection.Read(answer, WireJson.Default.EnvelopeIssuedFile);
                if (issued.Value?.File is { } token)
                {
                    var installed = await InstallAsync(token, answer.Date, cancellationToken).ConfigureAwait(false);
                    if (installed.File is not null) return installed;
                    error = installed.Error!;
                }
                else error = issued.Error ?? ServiceConnection.Untrusted("The answer carried no license file.");
            }
            else
            {
                error = ServiceConnection.Error(answer);
                // Only the service's own refusal forgets the file: a proxy's bare 401 or 403 must not.
                if (error.FromService && Refusal(error.Code) is { } refused)
                {
                    await ForgetAsync(FileEntry, cancellationToken).ConfigureAwait(false);
                    return new LicenseCheck(refused, false, null, error);
                }
            }
            return await FromCacheAsync(error, cancellationToken).ConfigureAwait(false);
        }

        /// <summary>
        /// Decides from the cached license file alone, with no network: valid until the file's <c>exp</c>, measured on
        /// the later of the machine's clock and the latest trusted time.
        /// </summary>
        public Task<LicenseCheck> CheckOfflineAsync(CancellationToken cancellationToken = default) => FromCacheAsync(null, cancellationToken);

        /// <summary>Installs a license file given by other means (an offline activation's answer, a vendor's email):
        /// verified, bound to this machine and this product, then cached. Its keys must be pinned or cached already
        /// when the machine has no network.</summary>
        public Task<LicenseCheck> InstallLicenseFileAsync(string file, CancellationToken cancellationToken = default)
        {
            if (string.IsNullOrWhiteSpace(file)) throw new ArgumentException("A license file is required.", nameof(file));
            return InstallAsync(file.Trim(), null, cancellationToken);
        }

        /// <summary>Tells the service this machine still runs (under a heartbeat rule, before <see cref="Machine.HeartbeatExpiresAt"/>).</summary>
        public async Task<LicensingResult<Heartbeat>> HeartbeatAsync(CancellationToken cancellationToken = default)
        {
            var answer = await _service.Send(HttpMethod.Post, MachinePath + "/heartbeat", new ProductBody { Product = Product },
                WireJson.Default.ProductBody, null, true, cancellationToken).ConfigureAwait(false);
            return ServiceConnection.Read(answer, WireJson.Default.EnvelopeHeartbeat);
        }

        /// <summary>Takes one of the license's concurrent slots for this machine. With <paramref name="borrow"/> (at most
        /// the policy's maxBorrowSeconds) the lease lasts that long and carries a license file, installed here, so the
        /// software runs offline until it ends.</summary>
        public async Task<LicensingResult<Lease>> AcquireLeaseAsync(TimeSpan? borrow = null, CancellationToken cancellationToken = default)
        {
            var body = new LeaseBody
            {
                Fingerprint = Fingerprint, Product = Product,
                BorrowSeconds = borrow is { } b ? (int)Math.Ceiling(b.TotalSeconds) : (int?)null,
            };
            var answer = await _service.Send(HttpMethod.Post, "api/v1/client/leases", body, WireJson.Default.LeaseBody, null, true, cancellationToken)
                .ConfigureAwait(false);
            var lease = ServiceConnection.Read(answer, WireJson.Default.EnvelopeLease);
            if (lease.Value?.File is { } file)
            {
                var installed = await InstallAsync(file, answer.Date, cancellationToken).ConfigureAwait(false);
                if (!installed.IsValid)
                {
                    // A borrowed slot whose file this machine cannot use: given back, not held for days unseen.
                    await ReleaseLeaseAsync(lease.Value.Id, cancellationToken).ConfigureAwait(false);
                    return LicensingResult<Lease>.Failure(installed.Error ?? ServiceConnection.Untrusted($"The borrowed file cannot be used: {installed.Status}."));
                }
            }
            return lease;
        }

        /// <summary>Extends a lease by the policy's leaseSeconds. <see cref="LicensingErrorCode.NotFound"/>: it has ended.</summary>
        public async Task<LicensingResult<Lease>> RenewLeaseAsync(Guid leaseId, CancellationToken cancellationToken = default)
        {
            var answer = await _service.Send(HttpMethod.Post, $"api/v1/client/leases/{leaseId}/renew", new ProductBody { Product = Product },
                WireJson.Default.ProductBody, null, true, cancellationToken).ConfigureAwait(false);
            return ServiceConnection.Read(answer, WireJson.Default.EnvelopeLease);
        }

        /// <summary>Ends a lease: its slot is free at once.</summary>
        public async Task<LicensingResult> ReleaseLeaseAsync(Guid leaseId, CancellationToken cancellationToken = default)
        {
            var answer = await _service.Send(HttpMethod.Delete, $"api/v1/client/leases/{leaseId}" + ProductQuery, null, null, true, cancellationToken)
                .ConfigureAwait(false);
            if (!answer.IsSuccess) return LicensingResult.Failure(ServiceConnection.Error(answer));
            // A borrowed file runs the software offline until the lease's end: returned early, it must not.
            if (await CachedFileAsync(cancellationToken).ConfigureAwait(false) is { LeaseId: { } borrowed } && borrowed == leaseId)
                await ForgetAsync(FileEntry, cancellationToken).ConfigureAwait(false);
            return LicensingResult.Success;
        }

        /// <summary>
        /// Counts metered use. The call carries an idempotency key (a new one unless given), and is retried on a
        /// transient failure with that same key, so an increment whose answer was lost counts once.
        /// </summary>
        /// <param name="increment">1-1000000.</param>
        /// <param name="idempotencyKey">The key; give your own to make retries across restarts count once too.</param>
        /// <param name="cancellationToken">Cancels the call and its retries.</param>
        public async Task<LicensingResult<Usage>> IncrementUsageAsync(int increment = 1, string? idempotencyKey = null,
            CancellationToken cancellationToken = default)
        {
            if (increment < 1 || increment > 1_000_000) throw new ArgumentOutOfRangeException(nameof(increment), "1-1000000");
            var key = idempotencyKey ?? Guid.NewGuid().ToString("N");
            var body = new UsageBody { Increment = increment, Product = Product };
            for (var attempt = 1; ; attempt++)
            {
                var answer = await _service.Send(HttpMethod.Post, "api/v1/client/usage", body, WireJson.Default.UsageBody, key, true, cancellationToken)
                    .ConfigureAwait(false);
                var usage = ServiceConnection.Read(answer, WireJson.Default.EnvelopeUsage);
                if (usage.Succeeded || !usage.Error!.IsTransient || attempt >= UsageAttempts) return usage;
                if (usage.Error.RetryAfter > UsageRetryLimit) return usage; // the caller retries later, with the same key
                await Timing.Delay(_options.TimeProvider, Timing.Backoff(attempt, TimeSpan.FromMilliseconds(500), UsageRetryLimit,
                    usage.Error.RetryAfter), cancellationToken).ConfigureAwait(false);
            }
        }

        private const int UsageAttempts = 5;
        private static readonly TimeSpan UsageRetryLimit = TimeSpan.FromSeconds(30);

        /// <summary>
        /// On an air-gapped machine: the activation request to carry to a connected device (base64url of
        /// <c>{fingerprint, name, product, nonce}</c>). There it is sent with <see cref="SendOfflineActivationAsync"/> (or the
        /// vendor's API), and the answered file comes back to <see cref="InstallLicenseFileAsync"/>.
        /// </summary>
        public string CreateOfflineActivationRequest()
        {
            var nonce = new byte[16];
            using (var random = RandomNumberGenerator.Create()) random.GetBytes(nonce);
            var request = new OfflineRequest { Fingerprint = Fingerprint, Name = MachineName, Product = Product, Nonce = Base64Url.Encode(nonce) };
            return Base64Url.Encode(JsonSerializer.SerializeToUtf8Bytes(request, WireJson.Default.OfflineRequest));
        }

        /// <summary>On the connected device: activates the machine that wrote <paramref name="request"/>, and answers the
        /// license file to carry back to it.</summary>
        public async Task<LicensingResult<OfflineActivation>> SendOfflineActivationAsync(string request, CancellationToken cancellationToken = default)
        {
            var answer = await _service.Send(HttpMethod.Post, "api/v1/client/offline-activations", new OfflineBody { Request = request },
                WireJson.Default.OfflineBody, null, true, cancellationToken).ConfigureAwait(false);
            return ServiceConnection.Read(answer, WireJson.Default.EnvelopeOfflineActivation);
        }

        private string MachineName => _options.MachineName ?? SafeMachineName();

        private static string SafeMachineName()
        {
            try { return Environment.MachineName; }
            catch (InvalidOperationException) { return "machine"; }
        }

        /// <summary>The statuses a refusal of the service means (it forgets the cached file); null for other errors.</summary>
        private static LicenseStatus? Refusal(LicensingErrorCode code)
        {
            switch (code)
            {
                case LicensingErrorCode.InvalidKey: return LicenseStatus.InvalidKey;
                case LicensingErrorCode.Suspended: return LicenseStatus.Suspended;
                case LicensingErrorCode.Expired: return LicenseStatus.Expired;
                case LicensingErrorCode.Revoked: return LicenseStatus.Revoked;
                case LicensingErrorCode.ProductDeleted: return LicenseStatus.ProductDeleted;
                case LicensingErrorCode.ProductMismatch: return LicenseStatus.ProductMismatch;
                case LicensingErrorCode.NotActivated: return LicenseStatus.NotActivated;
                case LicensingErrorCode.HeartbeatDead: return LicenseStatus.HeartbeatDead;
                default: return null;
            }
        }

        /// <summary>
        /// Verifies a file and, when it holds, takes the service's time from it (its <c>iat</c>, or the answer's
        /// <c>Date</c>) as the trusted time, and caches it, unless the cached file is a borrowed lease's that lasts longer.
        /// </summary>
        private async Task<LicenseCheck> InstallAsync(string token, DateTimeOffset? serviceDate, CancellationToken cancellationToken)
        {
            var keys = await KeysForAsync(KidOf(token), cancellationToken).ConfigureAwait(false);
            if (keys is null) return new LicenseCheck(LicenseStatus.NoLicenseFile, true, null, ServiceConnection.Untrusted("No signing keys to verify the file with."));
            var now = _options.TimeProvider.GetUtcNow();
            var verified = LicenseFileVerifier.Verify(token, keys, _options.Issuer, Product, Fingerprint, now, _options.ClockTolerance);
            if (verified.File is not { } file)
                return new LicenseCheck(LicenseStatus.NoLicenseFile, true, null, ServiceConnection.Untrusted($"The license file does not verify: {verified.Failure}."));

            // A signed file is the service's word on the time: the trusted time is set to it (down too, so that a clock
            // that ran ahead and was set right is not refused once the service has been reached again).
            var serviceNow = Later(file.IssuedAt, serviceDate);
            await WriteTrustedTimeAsync(serviceNow, cancellationToken).ConfigureAwait(false);
            if (serviceNow - now > _options.ClockTolerance) return new LicenseCheck(LicenseStatus.ClockTampered, false, file, null);
            if (verified.Failure == LicenseFileFailure.Expired) return new LicenseCheck(LicenseStatus.OfflineGraceEnded, false, file, null);
            if (verified.Failure != LicenseFileFailure.None)
                return new LicenseCheck(LicenseStatus.NoLicenseFile, true, null, ServiceConnection.Untrusted($"The license file does not verify: {verified.Failure}."));

            var cached = await CachedFileAsync(cancellationToken).ConfigureAwait(false);
            if (!(cached is { LeaseId: not null } borrowed && borrowed.ExpiresAt > file.ExpiresAt && file.LeaseId is null))
                await KeepAsync(FileEntry, token, cancellationToken).ConfigureAwait(false);
            return new LicenseCheck(LicenseStatus.Valid, false, file, null);
        }

        /// <summary>The decision from the cached file alone.</summary>
        private async Task<LicenseCheck> FromCacheAsync(LicensingError? error, CancellationToken cancellationToken)
        {
            var token = await ReadAsync(FileEntry, cancellationToken).ConfigureAwait(false);
            if (token is null) return new LicenseCheck(LicenseStatus.NoLicenseFile, true, null, error);
            var keys = await CachedKeysAsync(cancellationToken).ConfigureAwait(false);
            if (keys is null) return new LicenseCheck(LicenseStatus.NoLicenseFile, true, null, error);
            var now = _options.TimeProvider.GetUtcNow();
            var trusted = await TrustedTimeAsync(cancellationToken).ConfigureAwait(false);
            var verified = LicenseFileVerifier.Verify(token, keys, _options.Issuer, Product, Fingerprint, Later(now, trusted), _options.ClockTolerance);
            if (verified.File is not { } file) return new LicenseCheck(LicenseStatus.NoLicenseFile, true, null, error);
            // The latest time seen: the service's, and this machine's own at every offline decision, so that a clock set
            // back after a check is caught, not only one set back before the file was made.
            var latest = Later(file.IssuedAt, trusted);
            if (latest - now > _options.ClockTolerance) return new LicenseCheck(LicenseStatus.ClockTampered, true, file, error);
            switch (verified.Failure)
            {
                case LicenseFileFailure.None:
                    if (now > latest) await WriteTrustedTimeAsync(now, cancellationToken).ConfigureAwait(false);
                    return new LicenseCheck(LicenseStatus.Valid, true, file, error);
                case LicenseFileFailure.Expired: return new LicenseCheck(LicenseStatus.OfflineGraceEnded, true, file, error);
                default: return new LicenseCheck(LicenseStatus.NoLicenseFile, true, null, error);
            }
        }

        /// <summary>The cached file when it verifies (at any time: only its signature and binding), else null.</summary>
        private async Task<LicenseFile?> CachedFileAsync(CancellationToken cancellationToken)
        {
            var token = await ReadAsync(FileEntry, cancellationToken).ConfigureAwait(false);
            var keys = token is null ? null : await CachedKeysAsync(cancellationToken).ConfigureAwait(false);
            if (token is null || keys is null) return null;
            var verified = LicenseFileVerifier.Verify(token, keys, _options.Issuer, Product, Fingerprint, DateTimeOffset.MinValue, TimeSpan.Zero);
            return verified.Failure == LicenseFileFailure.NotYetValid ? verified.File : null;
        }

        /// <summary>The keys to verify a file signed with <paramref name="kid"/>: pinned; else cached, fetched again when
        /// the kid is not in the cache (a key rotated in), and cached when the fetched set has it.</summary>
        private async Task<JsonWebKeySet?> KeysForAsync(string? kid, CancellationToken cancellationToken)
        {
            var cached = await CachedKeysAsync(cancellationToken).ConfigureAwait(false);
            if (_options.PinnedJwks is not null || (cached is not null && kid is not null && cached.TryGetKey(kid, out _))) return cached;
            // Keys are only as trustworthy as the channel they come over: never fetched over plain HTTP, but on loopback.
            if (_options.ServiceUrl!.Scheme != Uri.UriSchemeHttps && !_options.ServiceUrl.IsLoopback) return cached;
            var answer = await _service.Send(HttpMethod.Get, $"api/v1/accounts/{_options.AccountId}/jwks.json", null, null, false, cancellationToken)
                .ConfigureAwait(false);
            if (!answer.IsSuccess || JsonWebKeySet.TryParse(answer.Body) is not { } fetched) return cached;
            if (kid is null || !fetched.TryGetKey(kid, out _)) return cached; // a set without the key replaces nothing
            await KeepAsync(KeysEntry, fetched.Json, cancellationToken).ConfigureAwait(false);
            return fetched;
        }

        private async Task<JsonWebKeySet?> CachedKeysAsync(CancellationToken cancellationToken) =>
            _options.PinnedJwks is { } pinned
                ? JsonWebKeySet.TryParse(pinned)
                : JsonWebKeySet.TryParse(await ReadAsync(KeysEntry, cancellationToken).ConfigureAwait(false));

        private static string? KidOf(string token)
        {
            var header = token.Split('.')[0];
            if (Base64Url.TryDecode(header) is not { } bytes) return null;
            try
            {
                using var document = JsonDocument.Parse(bytes);
                return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("kid", out var kid) &&
                       kid.ValueKind == JsonValueKind.String ? kid.GetString() : null;
            }
            catch (JsonException) { return null; }
        }

        /// <summary>The latest trusted time: the service's last word, raised by this machine's clock at offline decisions.</summary>
        private async Task<DateTimeOffset?> TrustedTimeAsync(CancellationToken cancellationToken)
        {
            var text = await ReadAsync(TrustedTimeEntry, cancellationToken).ConfigureAwait(false);
            return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var at) ? at : (DateTimeOffset?)null;
        }

        private Task WriteTrustedTimeAsync(DateTimeOffset at, CancellationToken cancellationToken) =>
            KeepAsync(TrustedTimeEntry, at.ToString("O", CultureInfo.InvariantCulture), cancellationToken);

        // The store is the application's (a folder, or its own implementation): a failure to read it is an entry that is
        // not there, a failure to write it a cache not kept; neither is the service's answer, and neither throws.

        private async Task<string?> ReadAsync(string name, CancellationToken cancellationToken)
        {
            try { return await Store.ReadAsync(name, cancellationToken).ConfigureAwait(false); }
            catch (Exception e) when (e is not OperationCanceledException) { return null; }
        }

        private async Task KeepAsync(string name, string content, CancellationToken cancellationToken)
        {
            try { await Store.WriteAsync(name, content, cancellationToken).ConfigureAwait(false); }
            catch (Exception e) when (e is not OperationCanceledException) { }
        }

        private async Task ForgetAsync(string name, CancellationToken cancellationToken)
        {
            try { await Store.DeleteAsync(name, cancellationToken).ConfigureAwait(false); }
            catch (Exception e) when (e is not OperationCanceledException) { }
        }

        private static DateTimeOffset Later(DateTimeOffset a, DateTimeOffset? b) => b is { } other && other > a ? other : a;

        /// <inheritdoc />
        public void Dispose()
        {
            _service.Dispose();
        }
    }
}
