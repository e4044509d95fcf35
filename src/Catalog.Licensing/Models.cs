using System;
using System.Collections.Generic;
using System.Text.Json;

namespace Catalog.Licensing
{
    /// <summary>A machine: one installation using the license, as the service answers it.</summary>
    public sealed class Machine
    {
        /// <summary>The machine's id.</summary>
        public Guid Id { get; init; }
        /// <summary>The license it uses.</summary>
        public Guid LicenseId { get; init; }
        /// <summary>The installation's fingerprint (see <see cref="MachineFingerprint"/>).</summary>
        public string Fingerprint { get; init; } = "";
        /// <summary>Its display name, if one was given.</summary>
        public string? Name { get; init; }
        /// <summary>The metadata given at activation.</summary>
        public Dictionary<string, JsonElement> Metadata { get; init; } = new Dictionary<string, JsonElement>();
        /// <summary>When it was activated.</summary>
        public DateTimeOffset ActivatedAt { get; init; }
        /// <summary>Its last heartbeat; null before the first.</summary>
        public DateTimeOffset? LastHeartbeatAt { get; init; }
        /// <summary>Under a heartbeat rule, the instant it holds no seat unless it sends a heartbeat before; null without the rule.</summary>
        public DateTimeOffset? HeartbeatExpiresAt { get; init; }
    }

    /// <summary>The caller's license, as the service answers it now (online: not signed, so never grant on it alone).</summary>
    public sealed class LicenseDetails
    {
        /// <summary>The license's id.</summary>
        public Guid Id { get; init; }
        /// <summary>The product it is for.</summary>
        public Guid ProductId { get; init; }
        /// <summary><c>active</c>, <c>expired</c>, <c>revoked</c> or <c>suspended</c>.</summary>
        public string Status { get; init; } = "";
        /// <summary>When it expires; null when perpetual (or its clock has not started).</summary>
        public DateTimeOffset? ExpiresAt { get; init; }
        /// <summary>How many machines may use it at once; null for no limit.</summary>
        public int? MaxMachines { get; init; }
        /// <summary>Seats taken now.</summary>
        public int MachinesCount { get; init; }
        /// <summary>The entitlement codes it grants, sorted.</summary>
        public List<string> Entitlements { get; init; } = new List<string>();
        /// <summary>The vendor's metadata on the license.</summary>
        public Dictionary<string, JsonElement> Metadata { get; init; } = new Dictionary<string, JsonElement>();
        /// <summary>Metered uses counted.</summary>
        public int Uses { get; init; }
        /// <summary>Metered uses allowed; null for unlimited.</summary>
        public int? MaxUses { get; init; }
        /// <summary>Leases held now.</summary>
        public int LeasesCount { get; init; }
        /// <summary>Leases allowed at once; null when the license needs none.</summary>
        public int? MaxConcurrent { get; init; }
    }

    /// <summary>A validation's answer: whether the license may be used now, and if not why.</summary>
    public sealed class Validation
    {
        /// <summary>True when <see cref="Code"/> is <see cref="ValidationCode.Valid"/>.</summary>
        public bool Valid { get; init; }
        /// <summary>The service's code, as sent (<c>VALID</c>, <c>EXPIRED</c>, ...).</summary>
        [System.Text.Json.Serialization.JsonPropertyName("code")]
        public string RawCode { get; init; } = "";
        /// <summary>The code, typed.</summary>
        [System.Text.Json.Serialization.JsonIgnore]
        public ValidationCode Code => Codes.Validation(RawCode);
        /// <summary>The license, when there is one.</summary>
        public LicenseDetails? License { get; init; }
        /// <summary>The machine, when a fingerprint was asked about and is active.</summary>
        public Machine? Machine { get; init; }
    }

    /// <summary>What a validation says.</summary>
    public enum ValidationCode
    {
        /// <summary>A code this version of the SDK does not know (see <see cref="Validation.RawCode"/>).</summary>
        Unknown,
        /// <summary>The license may be used.</summary>
        Valid,
        /// <summary>No such license.</summary>
        NotFound,
        /// <summary>The license is for another product.</summary>
        ProductMismatch,
        /// <summary>The license was revoked.</summary>
        Revoked,
        /// <summary>Its product was deleted.</summary>
        ProductDeleted,
        /// <summary>The license is suspended.</summary>
        Suspended,
        /// <summary>The license has expired.</summary>
        Expired,
        /// <summary>This machine is not activated on the license.</summary>
        NotActivated,
        /// <summary>This machine missed its heartbeat: activate again.</summary>
        HeartbeatDead,
        /// <summary>The license lacks an entitlement asked for.</summary>
        EntitlementsMissing,
    }

    /// <summary>A heartbeat's answer.</summary>
    public sealed class Heartbeat
    {
        /// <summary>The machine.</summary>
        public Machine Machine { get; init; } = new Machine();
        /// <summary>Send the next heartbeat before then; null without a heartbeat rule.</summary>
        public DateTimeOffset? HeartbeatExpiresAt { get; init; }
    }

    /// <summary>A lease: one of the license's concurrent slots, held by running software.</summary>
    public sealed class Lease
    {
        /// <summary>The lease's id.</summary>
        public Guid Id { get; init; }
        /// <summary>The license it is of.</summary>
        public Guid LicenseId { get; init; }
        /// <summary>The machine holding it, when one was named.</summary>
        public Guid? MachineId { get; init; }
        /// <summary>When it was granted.</summary>
        public DateTimeOffset GrantedAt { get; init; }
        /// <summary>It holds its slot until then, unless renewed.</summary>
        public DateTimeOffset ExpiresAt { get; init; }
        /// <summary>A borrowed lease: long, for offline use, with a license file.</summary>
        public bool Borrowed { get; init; }
        /// <summary>A borrowed lease's license file (compact JWS); installed by the SDK when it asked for it.</summary>
        public string? File { get; init; }
    }

    /// <summary>A license's metered use.</summary>
    public sealed class Usage
    {
        /// <summary>Uses counted.</summary>
        public int Uses { get; init; }
        /// <summary>Uses allowed; null for unlimited.</summary>
        public int? MaxUses { get; init; }
    }

    /// <summary>An offline activation's answer: the machine, and the license file to install.</summary>
    public sealed class OfflineActivation
    {
        /// <summary>The machine activated.</summary>
        public Machine Machine { get; init; } = new Machine();
        /// <summary>A license file bound to it (compact JWS).</summary>
        public string File { get; init; } = "";
    }
}
