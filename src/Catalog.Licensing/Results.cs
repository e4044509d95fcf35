using System;
using System.Collections.Generic;

namespace Catalog.Licensing
{
    /// <summary>
    /// The outcome of a call to the service: it succeeded, or it carries the <see cref="Error"/> that says why not. The
    /// SDK never throws for what the service or the network answers (only for a misuse of its API, and for a
    /// cancellation the caller asked for), so that the software decides on every outcome.
    /// </summary>
    public class LicensingResult
    {
        /// <summary>A success.</summary>
        protected LicensingResult() { }

        /// <summary>A failure.</summary>
        protected LicensingResult(LicensingError error) => Error = error;

        /// <summary>Why it failed; null on success.</summary>
        public LicensingError? Error { get; }

        /// <summary>True when the call succeeded.</summary>
        public bool Succeeded => Error is null;

        internal static readonly LicensingResult Success = new LicensingResult();

        internal static LicensingResult Failure(LicensingError error) => new LicensingResult(error);

        /// <inheritdoc />
        public override string ToString() => Error is null ? "succeeded" : Error.ToString();
    }

    /// <summary>A <see cref="LicensingResult"/> with the value the service answered.</summary>
    public sealed class LicensingResult<T> : LicensingResult where T : class
    {
        private LicensingResult(T value, DateTimeOffset? serviceDate)
        {
            Value = value;
            ServiceDate = serviceDate;
        }

        private LicensingResult(LicensingError error) : base(error) { }

        /// <summary>The value; null when the call failed.</summary>
        public T? Value { get; }

        /// <summary>The service's clock when it answered (its <c>Date</c>), when it sent one: deadlines it answers are on that clock.</summary>
        public DateTimeOffset? ServiceDate { get; }

        internal static LicensingResult<T> Of(T value, DateTimeOffset? serviceDate = null) => new LicensingResult<T>(value, serviceDate);

        internal static new LicensingResult<T> Failure(LicensingError error) => new LicensingResult<T>(error);
    }

    /// <summary>Why a call failed: the service's problem details, typed, or the network's failure.</summary>
    public sealed class LicensingError
    {
        internal LicensingError(LicensingErrorCode code, int? status, string? rawCode, string title, string? detail = null,
            TimeSpan? retryAfter = null, IReadOnlyDictionary<string, string[]>? errors = null)
        {
            Code = code;
            Status = status;
            RawCode = rawCode;
            Title = title;
            Detail = detail;
            RetryAfter = retryAfter;
            Errors = errors ?? new Dictionary<string, string[]>();
        }

        /// <summary>What went wrong, typed.</summary>
        public LicensingErrorCode Code { get; }

        /// <summary>The HTTP status; null when no answer came (<see cref="LicensingErrorCode.Unreachable"/>).</summary>
        public int? Status { get; }

        /// <summary>The service's <c>code</c> as sent (<c>MACHINE_LIMIT_REACHED</c>, ...), when it sent one.</summary>
        public string? RawCode { get; }

        /// <summary>A short summary.</summary>
        public string Title { get; }

        /// <summary>The service's explanation, when it gave one.</summary>
        public string? Detail { get; }

        /// <summary>How long the service asked to wait before trying again (429, 503).</summary>
        public TimeSpan? RetryAfter { get; }

        /// <summary>For <see cref="LicensingErrorCode.InvalidRequest"/>: each field's messages.</summary>
        public IReadOnlyDictionary<string, string[]> Errors { get; }

        /// <summary>True when the service itself said it (its problem code, or its <c>WWW-Authenticate: License</c> on a
        /// 401), not something answering in its place.</summary>
        internal bool FromService { get; set; }

        /// <summary>True when trying again later may succeed: no answer, rate limited, or the service unavailable.</summary>
        public bool IsTransient => Code is LicensingErrorCode.Unreachable or LicensingErrorCode.RateLimited or LicensingErrorCode.ServiceUnavailable;

        /// <inheritdoc />
        public override string ToString() => $"{Code} ({(Status is { } s ? s.ToString() : "no answer")}): {Detail ?? Title}";
    }

    /// <summary>Every reason a call to the service fails.</summary>
    public enum LicensingErrorCode
    {
        /// <summary>An answer this version of the SDK does not know (see <see cref="LicensingError.Status"/> and <see cref="LicensingError.RawCode"/>).</summary>
        Other,
        /// <summary>No answer (no network, DNS, TLS or a timeout), or a 408: the request did not reach the service whole. Transient.</summary>
        Unreachable,
        /// <summary>An answer that is not the service's (not its JSON, or a license file that does not verify): a proxy, a captive portal, or a fake server.</summary>
        Untrusted,
        /// <summary>401: the license key is unknown, malformed or revoked.</summary>
        InvalidKey,
        /// <summary>429: too many requests; see <see cref="LicensingError.RetryAfter"/>. Transient.</summary>
        RateLimited,
        /// <summary>5xx: the service is unavailable for now; see <see cref="LicensingError.RetryAfter"/>. Transient.</summary>
        ServiceUnavailable,
        /// <summary>400: the request is invalid; see <see cref="LicensingError.Errors"/>.</summary>
        InvalidRequest,
        /// <summary>404 without a code: no such machine or lease (deactivated, or a lease that ended).</summary>
        NotFound,
        /// <summary>422: an idempotency key was reused with another request.</summary>
        IdempotencyConflict,
        /// <summary>409 <c>MACHINE_LIMIT_REACHED</c>: every seat of the license is taken.</summary>
        MachineLimitReached,
        /// <summary>409 <c>CONCURRENCY_LIMIT_REACHED</c>: every lease of the license is held.</summary>
        ConcurrencyLimitReached,
        /// <summary>409 <c>USAGE_LIMIT_REACHED</c>: the increment would pass the license's maxUses; nothing was counted.</summary>
        UsageLimitReached,
        /// <summary>409 <c>TRIAL_ALREADY_USED</c>: this machine already had a trial of the product.</summary>
        TrialAlreadyUsed,
        /// <summary>403 <c>SUSPENDED</c>: the license is suspended.</summary>
        Suspended,
        /// <summary>403 <c>EXPIRED</c>: the license has expired.</summary>
        Expired,
        /// <summary>403 <c>REVOKED</c>: the license was revoked.</summary>
        Revoked,
        /// <summary>403 <c>PRODUCT_DELETED</c>: the license's product was deleted.</summary>
        ProductDeleted,
        /// <summary>403 <c>PRODUCT_MISMATCH</c>: the key is for another product than this software's.</summary>
        ProductMismatch,
        /// <summary>403/404 <c>NOT_ACTIVATED</c>: this machine is not activated on the license.</summary>
        NotActivated,
        /// <summary>404 <c>HEARTBEAT_DEAD</c>: this machine missed its heartbeat and holds no seat: activate again.</summary>
        HeartbeatDead,
    }

    /// <summary>The service's codes, typed.</summary>
    internal static class Codes
    {
        public static LicensingErrorCode Error(int status, string? code)
        {
            switch (code)
            {
                case "MACHINE_LIMIT_REACHED": return LicensingErrorCode.MachineLimitReached;
                case "CONCURRENCY_LIMIT_REACHED": return LicensingErrorCode.ConcurrencyLimitReached;
                case "USAGE_LIMIT_REACHED": return LicensingErrorCode.UsageLimitReached;
                case "TRIAL_ALREADY_USED": return LicensingErrorCode.TrialAlreadyUsed;
                case "SUSPENDED": return LicensingErrorCode.Suspended;
                case "EXPIRED": return LicensingErrorCode.Expired;
                case "REVOKED": return LicensingErrorCode.Revoked;
                case "PRODUCT_DELETED": return LicensingErrorCode.ProductDeleted;
                case "PRODUCT_MISMATCH": return LicensingErrorCode.ProductMismatch;
                case "NOT_ACTIVATED": return LicensingErrorCode.NotActivated;
                case "HEARTBEAT_DEAD": return LicensingErrorCode.HeartbeatDead;
            }
            if (status == 401) return LicensingErrorCode.InvalidKey;
            if (status == 429) return LicensingErrorCode.RateLimited;
            if (status == 408) return LicensingErrorCode.Unreachable;
            if (status >= 500) return LicensingErrorCode.ServiceUnavailable;
            if (status == 400) return LicensingErrorCode.InvalidRequest;
            if (status == 404) return LicensingErrorCode.NotFound;
            if (status == 422) return LicensingErrorCode.IdempotencyConflict;
            return LicensingErrorCode.Other;
        }

        public static ValidationCode Validation(string code)
        {
            switch (code)
            {
                case "VALID": return ValidationCode.Valid;
                case "NOT_FOUND": return ValidationCode.NotFound;
                case "PRODUCT_MISMATCH": return ValidationCode.ProductMismatch;
                case "REVOKED": return ValidationCode.Revoked;
                case "PRODUCT_DELETED": return ValidationCode.ProductDeleted;
                case "SUSPENDED": return ValidationCode.Suspended;
                case "EXPIRED": return ValidationCode.Expired;
                case "NOT_ACTIVATED": return ValidationCode.NotActivated;
                case "HEARTBEAT_DEAD": return ValidationCode.HeartbeatDead;
                case "ENTITLEMENTS_MISSING": return ValidationCode.EntitlementsMissing;
                default: return ValidationCode.Unknown;
            }
        }
    }
}
