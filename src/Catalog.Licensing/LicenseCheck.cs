using System;

namespace Catalog.Licensing
{
    /// <summary>What a check decided: may the software run, and on what.</summary>
    public enum LicenseStatus
    {
        /// <summary>It may run: a license file verified, online or from the cache within its grace.</summary>
        Valid,
        /// <summary>Offline with no license file that verifies (first run without network, or a cache tampered with). Go
        /// online, or install a file (offline activation).</summary>
        NoLicenseFile,
        /// <summary>Offline, and the cached file's <c>exp</c> has passed: the grace the vendor allowed is over. Go online.</summary>
        OfflineGraceEnded,
        /// <summary>The machine's clock is more than <see cref="LicensingOptions.ClockTolerance"/> behind the latest
        /// trusted time the SDK has seen: set it right.</summary>
        ClockTampered,
        /// <summary>This machine is not activated on the license: activate it.</summary>
        NotActivated,
        /// <summary>This machine missed its heartbeat and holds no seat: activate it again.</summary>
        HeartbeatDead,
        /// <summary>The license is suspended.</summary>
        Suspended,
        /// <summary>The license has expired.</summary>
        Expired,
        /// <summary>The license was revoked.</summary>
        Revoked,
        /// <summary>The license key is unknown, malformed or revoked.</summary>
        InvalidKey,
        /// <summary>The license is for another product.</summary>
        ProductMismatch,
        /// <summary>The license's product was deleted.</summary>
        ProductDeleted,
    }

    /// <summary>The outcome of <see cref="LicensingClient.CheckAsync"/>.</summary>
    public sealed class LicenseCheck
    {
        internal LicenseCheck(LicenseStatus status, bool offline, LicenseFile? file, LicensingError? error)
        {
            Status = status;
            Offline = offline;
            File = file;
            Error = error;
        }

        /// <summary>What the check decided.</summary>
        public LicenseStatus Status { get; }

        /// <summary>True when the software may run: <see cref="Status"/> is <see cref="LicenseStatus.Valid"/>.</summary>
        public bool IsValid => Status == LicenseStatus.Valid;

        /// <summary>True when the decision was made from the cached file (the service was not reached, or its answer
        /// could not be trusted).</summary>
        public bool Offline { get; }

        /// <summary>The verified file the decision rests on (also set for <see cref="LicenseStatus.OfflineGraceEnded"/>).</summary>
        public LicenseFile? File { get; }

        /// <summary>Until when the software may run offline on this file.</summary>
        public DateTimeOffset? ValidUntil => IsValid ? File?.ExpiresAt : null;

        /// <summary>Why the service was not used, or what it refused: null when it answered a file that verified.</summary>
        public LicensingError? Error { get; }

        /// <summary>True when the license is valid and grants that entitlement.</summary>
        public bool HasEntitlement(string code) => IsValid && File!.HasEntitlement(code);

        /// <inheritdoc />
        public override string ToString() => $"{Status}{(Offline ? " (offline)" : "")}{(ValidUntil is { } until ? $" until {until:u}" : "")}";
    }
}
