using System;
using System.Threading;
using System.Threading.Tasks;

namespace Catalog.Licensing
{
    /// <summary>What the keep-alive loop does.</summary>
    public sealed class KeepAliveOptions
    {
        /// <summary>Hold a lease while running (a floating license, under a maxConcurrent rule). Default false.</summary>
        public bool Lease { get; set; }

        /// <summary>Release the lease when the loop stops. Default true.</summary>
        public bool ReleaseLeaseOnStop { get; set; } = true;

        /// <summary>The first retry's wait; each next doubles, up to <see cref="MaxRetryDelay"/>, with jitter. Default 1 second.</summary>
        public TimeSpan MinRetryDelay { get; set; } = TimeSpan.FromSeconds(1);

        /// <summary>The longest wait between retries. Default 1 minute.</summary>
        public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromMinutes(1);

        /// <summary>Without a heartbeat rule or a lease, how often the loop looks again. Default 15 minutes.</summary>
        public TimeSpan IdleInterval { get; set; } = TimeSpan.FromMinutes(15);
    }

    /// <summary>What the loop lost or regained.</summary>
    public sealed class KeepAliveEventArgs : EventArgs
    {
        internal KeepAliveEventArgs(Machine? machine, Lease? lease, LicensingError? error)
        {
            Machine = machine;
            Lease = lease;
            Error = error;
        }

        /// <summary>The machine (for a seat regained), or the one that was lost.</summary>
        public Machine? Machine { get; }
        /// <summary>The lease (regained), or the one that was lost.</summary>
        public Lease? Lease { get; }
        /// <summary>Why it was lost, when the service said so (a missed heartbeat, a lease that ended) or could not be reached.</summary>
        public LicensingError? Error { get; }
    }

    /// <summary>
    /// Keeps this machine's seat (and, with <see cref="KeepAliveOptions.Lease"/>, a lease) while the software runs: it
    /// activates when needed, sends each heartbeat halfway to its deadline, renews the lease halfway to its end, and
    /// takes both again after losing them (a missed heartbeat, an outage): the same fingerprint, so never a second seat.
    /// It never throws out of its loop: failures are retried with jittered backoff, honouring the service's
    /// <c>Retry-After</c>. Run it with <see cref="RunAsync"/>, or as a hosted service (<see cref="LicensingHostedService"/>).
    /// </summary>
    public sealed class LicenseKeepAlive
    {
        private readonly LicensingClient _client;
        private readonly KeepAliveOptions _options;
        private readonly TimeProvider _time;
        private static readonly TimeSpan MaxWait = TimeSpan.FromDays(1);
        private DateTimeOffset _heartbeatDue, _renewalDue, _leaseBy;
        private DateTimeOffset? _beatBy;
        private Guid? _staleLease;
        private int _failures;
        private bool _seatLost, _leaseLost;

        /// <summary>A loop for a client.</summary>
        public LicenseKeepAlive(LicensingClient client, KeepAliveOptions? options = null)
        {
            _client = client ?? throw new ArgumentNullException(nameof(client));
            _options = options ?? new KeepAliveOptions();
            _time = client.Options.TimeProvider;
        }

        /// <summary>The seat was lost: a missed heartbeat (during an outage, or the service said so). The loop activates again.</summary>
        public event EventHandler<KeepAliveEventArgs>? SeatLost;
        /// <summary>The seat is held again after <see cref="SeatLost"/>.</summary>
        public event EventHandler<KeepAliveEventArgs>? SeatRegained;
        /// <summary>The lease was lost: it ended before a renewal got through. The loop asks for another.</summary>
        public event EventHandler<KeepAliveEventArgs>? LeaseLost;
        /// <summary>A lease is held again after <see cref="LeaseLost"/>.</summary>
        public event EventHandler<KeepAliveEventArgs>? LeaseRegained;
        /// <summary>A call failed; the loop will try again (for logging).</summary>
        public event EventHandler<KeepAliveEventArgs>? Failed;

        /// <summary>The machine, while the seat is held.</summary>
        public Machine? Machine { get; private set; }

        /// <summary>The lease, while one is held.</summary>
        public Lease? Lease { get; private set; }

        /// <summary>Runs until <paramref name="stoppingToken"/> is cancelled, then releases the lease (unless told not to).
        /// Never throws.</summary>
        public async Task RunAsync(CancellationToken stoppingToken)
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                TimeSpan wait;
                try
                {
                    wait = await StepAsync(stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    break;
                }
                catch (Exception e)
                {
                    // A store that cannot be written, a handler that throws: never out of the loop.
                    wait = Fail(new LicensingError(LicensingErrorCode.Other, null, null, "The keep-alive step failed.", e.Message));
                }
                try
                {
                    // At most a day at a time: whatever the options say, a timer never overflows.
                    await Timing.Delay(_time, wait > MaxWait ? MaxWait : wait, stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
            if (_options.ReleaseLeaseOnStop && Lease is { } held)
            {
                try
                {
                    using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                    await _client.ReleaseLeaseAsync(held.Id, timeout.Token).ConfigureAwait(false);
                }
                catch (Exception)
                {
                    // Best effort: an unreleased lease frees its slot at its end anyway.
                }
                Lease = null;
            }
        }

        /// <summary>
        /// One pass: whatever is due (activate, take a lease, heartbeat, renew), then how long until the next. Deadlines
        /// the service answers are on its clock: they are moved onto this machine's by the difference between the two
        /// (the answer's <c>Date</c>), so a machine whose clock is off neither misses them nor renews without end.
        /// </summary>
        public async Task<TimeSpan> StepAsync(CancellationToken cancellationToken = default)
        {
            var now = _time.GetUtcNow();
            if (Deactivated) return _options.IdleInterval;
            // Past a deadline with no renewal through (an outage): lost, whatever the service says later.
            if (Machine is not null && _beatBy is { } beatBy && now >= beatBy) LoseSeat(null);
            if (Lease is not null && now >= _leaseBy)
            {
                _staleLease = Lease.Id;
                LoseLease(null);
            }

            if (Machine is null)
            {
                var activated = await _client.ActivateAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
                if (!activated.Succeeded) return Fail(activated.Error!);
                Machine = activated.Value!;
                _beatBy = Local(Machine.HeartbeatExpiresAt, activated.ServiceDate, now);
                _heartbeatDue = Halfway(now, _beatBy) ?? now + _options.IdleInterval;
                if (_seatLost)
                {
                    _seatLost = false;
                    Raise(SeatRegained, new KeepAliveEventArgs(Machine, Lease, null));
                }
            }
            if (_options.Lease && Lease is null)
            {
                if (_staleLease is { } stale)
                {
                    // A lease this machine stopped counting on may still hold a slot: given back before taking another.
                    _staleLease = null;
                    await _client.ReleaseLeaseAsync(stale, cancellationToken).ConfigureAwait(false);
                }
                var acquired = await _client.AcquireLeaseAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
                if (!acquired.Succeeded) return Fail(acquired.Error!);
                Lease = acquired.Value!;
                _leaseBy = Local(Lease.ExpiresAt, acquired.ServiceDate, now)!.Value;
                _renewalDue = Halfway(now, _leaseBy)!.Value;
                if (_leaseLost)
                {
                    _leaseLost = false;
                    Raise(LeaseRegained, new KeepAliveEventArgs(Machine, Lease, null));
                }
            }

            // A heartbeat when one is due, and without a heartbeat rule one each IdleInterval: how the loop learns that
            // the machine was deactivated.
            if (now >= _heartbeatDue)
            {
                var beat = await _client.HeartbeatAsync(cancellationToken).ConfigureAwait(false);
                if (beat.Succeeded)
                {
                    Machine = beat.Value!.Machine;
                    _beatBy = Local(beat.Value.HeartbeatExpiresAt, beat.ServiceDate, now);
                    _heartbeatDue = Halfway(now, _beatBy) ?? now + _options.IdleInterval;
                }
                else if (beat.Error!.Code is LicensingErrorCode.HeartbeatDead)
                {
                    LoseSeat(beat.Error); // it missed its heartbeat: activate again, the same fingerprint
                    return _options.MinRetryDelay;
                }
                else if (beat.Error.Code is LicensingErrorCode.NotActivated or LicensingErrorCode.NotFound)
                {
                    // Deactivated on purpose (the customer's portal, the vendor): the seat is someone else's now. The loop
                    // does not take it back; the application decides (ActivateAsync, then Resume).
                    Deactivated = true;
                    LoseSeat(beat.Error);
                    return _options.IdleInterval;
                }
                else return Fail(beat.Error);
            }
            if (Lease is not null && now >= _renewalDue)
            {
                var renewed = await _client.RenewLeaseAsync(Lease.Id, cancellationToken).ConfigureAwait(false);
                if (renewed.Succeeded)
                {
                    Lease = renewed.Value!;
                    _leaseBy = Local(Lease.ExpiresAt, renewed.ServiceDate, now)!.Value;
                    _renewalDue = Halfway(now, _leaseBy)!.Value;
                }
                else if (renewed.Error!.Code is LicensingErrorCode.NotFound)
                {
                    LoseLease(renewed.Error);
                    return _options.MinRetryDelay;
                }
                else return Fail(renewed.Error);
            }

            _failures = 0;
            var next = _heartbeatDue;
            if (Lease is not null && _renewalDue < next) next = _renewalDue;
            var wait = next - _time.GetUtcNow();
            return wait > _options.MinRetryDelay ? wait : _options.MinRetryDelay;
        }

        /// <summary>True once the service said the machine is not active (deactivated on purpose): the loop holds nothing
        /// until <see cref="Resume"/>.</summary>
        public bool Deactivated { get; private set; }

        /// <summary>After <see cref="Deactivated"/>: the loop activates again at its next pass (when the user asks for it).</summary>
        public void Resume() => Deactivated = false;

        private void LoseSeat(LicensingError? error)
        {
            if (Machine is null) return;
            var lost = Machine;
            Machine = null;
            _beatBy = null;
            _seatLost = true;
            Raise(SeatLost, new KeepAliveEventArgs(lost, Lease, error));
        }

        private void LoseLease(LicensingError? error)
        {
            if (Lease is null) return;
            var lost = Lease;
            Lease = null;
            _leaseLost = true;
            Raise(LeaseLost, new KeepAliveEventArgs(Machine, lost, error));
        }

        private TimeSpan Fail(LicensingError error)
        {
            _failures++;
            Raise(Failed, new KeepAliveEventArgs(Machine, Lease, error));
            return Timing.Backoff(_failures, _options.MinRetryDelay, _options.MaxRetryDelay, error.RetryAfter);
        }

        /// <summary>A deadline on the service's clock, on this machine's: moved by how far the clocks differ.</summary>
        private static DateTimeOffset? Local(DateTimeOffset? deadline, DateTimeOffset? serviceDate, DateTimeOffset now) =>
            deadline is { } at ? at - ((serviceDate ?? now) - now) : (DateTimeOffset?)null;

        /// <summary>Raises an event; a handler's exception stays out of the loop.</summary>
        private void Raise(EventHandler<KeepAliveEventArgs>? handler, KeepAliveEventArgs args)
        {
            try { handler?.Invoke(this, args); }
            catch (Exception) { /* the application's handler failed: the loop goes on */ }
        }

        /// <summary>Halfway from now to a deadline: time for a retry or two before it passes (null without one).</summary>
        private static DateTimeOffset? Halfway(DateTimeOffset now, DateTimeOffset? deadline) =>
            deadline is { } end ? (end > now ? now + TimeSpan.FromTicks((end - now).Ticks / 2) : now) : (DateTimeOffset?)null;
    }
}
