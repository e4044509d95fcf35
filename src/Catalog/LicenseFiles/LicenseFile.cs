using Catalog.Machines;
using Catalog.Http;
using System.ComponentModel;
using System.Security.Claims;
using System.Text.Json.Serialization;
using Catalog.Accounts;
using Catalog.Conventions;
using Catalog.Licenses;
using Catalog.Policies;
using Catalog.Products;
using Catalog.SigningKeys;
using License = Catalog.Licenses.License;

namespace Catalog.LicenseFiles;

// A license file is a signed JWT (JWS compact serialization, EdDSA): what installed software keeps to run offline.
// It verifies with the account's public key (GET /api/v1/accounts/{id}/jwks.json) and any JOSE library.

public record RequestLicenseFile(
    [property: StringLength(MachineFingerprint.MaxLength, MinimumLength = 1),
               Description("Binds the file to this machine, which must be active on the license.")]
    string? Fingerprint,
    [property: RegularExpression(ProductRules.CodePattern), Description(LicensedProduct.Description)]
    string? Product = null);

/// <summary>The file and what a caller needs without parsing it.</summary>
[SchemaName("LicenseFile")]
public record LicenseFileDetails(
    [property: Description("A JWS in compact serialization (a signed JWT, EdDSA): header.payload.signature.")] string File,
    [property: Description("The signing key's id: its entry in the account's JWK Set.")] string Kid,
    DateTimeOffset IssuedAt,
    [property: Description("The file's own expiry (exp): at most Signing:FileLifetime after issuedAt, never after the license's.")]
    DateTimeOffset ExpiresAt);

/// <summary>
/// The claims of a license file (RFC 7519 names, then the license and, when bound to one, the machine). <c>aud</c> is
/// the product's code: the software of another product of the same account (same signing key) refuses the file.
/// No license key: a copied file must not hand out the key.
/// </summary>
public record LicenseFileClaims(
    string Iss,
    string Sub,
    string Aud,
    long Iat,
    long Nbf,
    long Exp,
    LicenseFileClaims.LicenseClaim License,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] LicenseFileClaims.MachineClaim? Machine,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] LicenseFileClaims.LeaseClaim? Lease = null)
{
    public record LicenseClaim(
        Guid Id, Guid ProductId, string ProductCode, string Status, DateTimeOffset? ExpiresAt, int? MaxMachines,
        IReadOnlyList<string> Entitlements, Dictionary<string, JsonElement> Metadata);

    public record MachineClaim(Guid Id, string Fingerprint);

    /// <summary>The borrowed lease the file carries offline: the file expires with it.</summary>
    public record LeaseClaim(Guid Id, DateTimeOffset ExpiresAt);
}

public static class LicenseFileRules
{
    public const string MediaType = "license+jwt";

    /// <summary>
    /// What the file says, or why there is none: a license that cannot be used now (REVOKED, PRODUCT_DELETED,
    /// SUSPENDED, EXPIRED), or a fingerprint that is not an active machine of it (NOT_ACTIVATED), is a 403 with that
    /// code. The file lives its policy's <c>fileLifetime</c>, else <see cref="SigningSettings.FileLifetime"/>, and never past
    /// the license's own expiry. Its claims are the values in force: the license's own over its policy's. A borrowed lease's
    /// file lives until the lease ends instead (never past the license's expiry either), and carries it as its <c>lease</c>.
    /// A machine past its heartbeatExpiresAt gets none (HEARTBEAT_DEAD).
    /// </summary>
    public static (LicenseFileClaims? Claims, ProblemDetails? Refusal) Decide(
        License license, Product? product, Policy? policy, string? fingerprint, Seat? seat, DateTimeOffset now, SigningSettings settings,
        string? productCode = null, bool machineDead = false, LicenseFileClaims.LeaseClaim? lease = null)
    {
        var issuedAt = now.ToUnixTimeSeconds();
        var expiresAt = lease?.ExpiresAt.ToUnixTimeSeconds() ?? issuedAt + (policy?.Terms.FileLifetime ?? (long)settings.FileLifetime.TotalSeconds);
        if (license.ExpiresAt is { } licenseExpiry) expiresAt = Math.Min(expiresAt, licenseExpiry.ToUnixTimeSeconds());

        var verdict = LicenseVerdict.Judge(license, product, policy, now, new ValidationQuestion(fingerprint, productCode), seat is not null || machineDead,
            machineDead);
        // A license ending within this second would get a file that is never valid: it is as good as expired.
        var refusedBecause = !verdict.Valid ? verdict.Code : expiresAt <= issuedAt ? ValidationCodes.Expired : null;
        if (refusedBecause is not null)
            return (null, refusedBecause switch
            {
                ValidationCodes.NotActivated => Problems.Refusal(403, refusedBecause,
                    "No license file for this fingerprint: it is not an active machine of the license."),
                ValidationCodes.HeartbeatDead => Problems.Refusal(403, refusedBecause,
                    "No license file for this machine: it missed its heartbeat and holds no seat. Activate it again."),
                ValidationCodes.ProductMismatch => LicensedProduct.Refusal(),
                _ => Problems.Refusal(403, refusedBecause, $"No license file: the license cannot be used ({refusedBecause}).")
            });

        return (new LicenseFileClaims(settings.Issuer, license.Id.ToString(), product!.Code, issuedAt, issuedAt, expiresAt,
            new(license.Id, license.ProductId, product.Code, license.StatusAt(now), license.ExpiresAt, verdict.License!.MaxMachines,
                verdict.License.Entitlements, license.Metadata),
            seat is null ? null : new(seat.MachineId, seat.Fingerprint), lease), null);
    }

    /// <summary>
    /// A file decided with the events that record it, to append to the license's stream under its lock: the clock the
    /// file starts (a file is a use: one given while the license's clock waits starts it, so that files alone never make
    /// a time-limited license perpetual), and, bound to a machine, its seat held until the file expires. A refusal
    /// records nothing.
    /// </summary>
    public static (LicenseFileClaims? Claims, ProblemDetails? Refusal, IReadOnlyList<object> Events) DecideRecorded(
        License license, Product? product, Policy? policy, string? fingerprint, Seat? seat, DateTimeOffset now, SigningSettings settings,
        string? productCode = null, bool machineDead = false, LicenseFileClaims.LeaseClaim? lease = null)
    {
        var started = LicenseClock.StartOnUse(license, policy, now);
        var (claims, refusal) = Decide(started is null ? license : license.Apply(started), product, policy, fingerprint, seat, now, settings,
            productCode, machineDead, lease);
        if (refusal is not null) return (null, refusal, []);
        var events = new List<object>();
        if (started is not null) events.Add(started);
        if (seat is not null)
            events.Add(new LicenseFileIssued(license.Id, license.ProductId, seat.MachineId, DateTimeOffset.FromUnixTimeSeconds(claims!.Iat),
                DateTimeOffset.FromUnixTimeSeconds(claims.Exp)));
        return (claims, null, events);
    }

    /// <summary>Signs with the current key of the request's account (the session's tenant), never a field of the stored license.</summary>
    public static Task<(string Kid, string Jws)> Sign(IQuerySession session, SigningKeyRing keys, LicenseFileClaims claims, CancellationToken token) =>
        keys.Sign(Guid.Parse(session.TenantId), MediaType, claims, ApiJson.Options, token);

    /// <summary>
    /// Reads what else the decision needs (the caller has read the policy), decides, records a machine-bound file (its seat is held until the file expires),
    /// and signs with the account's current key. A bound file is decided under the license stream's lock, as a
    /// deactivation is: no deactivation can free the seat without seeing the file, and no file is given for a machine
    /// a deactivation already ended. Wolverine commits the record before the file is answered. A file that starts the
    /// license's waiting clock is decided under the same lock.
    /// </summary>
    public static async Task<IResult> Issue(License license, Policy? policy, string? fingerprint, string? productCode, IDocumentSession session,
        SigningKeyRing keys, SigningSettings settings, TimeProvider time, CancellationToken token)
    {
        Seat? seat = null;
        JasperFx.Events.IEventStream<LicenseSeats>? stream = null;
        if (fingerprint is not null || license.ClockPending)
        {
            (stream, var seats, var locked) = await LicenseStream.Lock(session, license.Id, token);
            license = locked ?? license;
            seat = fingerprint is null ? null : seats.Holding(fingerprint);
        }
        var product = await session.LoadAsync<Product>(license.ProductId, token);
        var now = time.UtcNow();
        var dead = seat is not null
            ? policy?.Terms.HeartbeatSeconds is not null
              && HeartbeatRules.IsDead(await session.LoadAsync<MachineHeartbeat>(seat.MachineId, token), policy, now)
            // Not active: HEARTBEAT_DEAD rather than NOT_ACTIVATED when its fingerprint's last machine died of it.
            : fingerprint is not null && await session.Query<Machine>()
                .AnyAsync(x => x.LicenseId == license.Id && x.Fingerprint == fingerprint && x.DiedAt != null, token);
        var (claims, refusal, events) = DecideRecorded(license, product, policy, fingerprint, seat, now, settings, productCode, dead);
        if (refusal is not null) return Results.Problem(refusal);
        if (events.Count > 0) stream!.AppendMany(events); // only with a seat or a waiting clock: decided under the lock

        var (kid, file) = await Sign(session, keys, claims!, token);
        return Results.Json(new Resource<LicenseFileDetails>(new(file, kid,
            DateTimeOffset.FromUnixTimeSeconds(claims!.Iat), DateTimeOffset.FromUnixTimeSeconds(claims.Exp))), ApiJson.Options);
    }
}

[Tags("License files")]
public static class GetLicenseFileEndpoint
{
    public static ProblemDetails Validate(HttpRequest request) => QueryParameters.Only(request.Query, "fingerprint");

    /// <summary>The vendor's back end gets the same signed file its customer's software would, e.g. to ship it on a USB stick.</summary>
    [WolverineGet("/api/v1/licenses/{id}/file", OperationId = "getLicenseFile", Summary = "Get a signed license file")]
    [Authorize(Scopes.LicensesRead)]
    [ProducesResponseType<Resource<LicenseFileDetails>>(200)]
    [Refuses(403, "No file: `code` is REVOKED, PRODUCT_DELETED, SUSPENDED, EXPIRED, or NOT_ACTIVATED (the fingerprint is not an active machine).")]
    [RetryOnContention]
    public static async Task<IResult> Get([Document("id")] License license,
        [Description("Binds the file to this machine, which must be active on the license; its seat is then held until the file expires.")]
        string? fingerprint,
        IDocumentSession session, SigningKeyRing keys, SigningSettings settings, TimeProvider time, CancellationToken token)
    {
        if (MachineFingerprint.CheckIfGiven(fingerprint) is { Status: 400 } invalid) return Results.Problem(invalid);
        return await LicenseFileRules.Issue(license, await session.PolicyOf(license.PolicyId, token), fingerprint, null, session, keys, settings,
            time, token);
    }
}

[Tags("Client")]
public static class GetThisLicenseFileEndpoint
{
    /// <summary>Its product travels in the body: a query (say <c>?product=</c>) is refused, never taken for the check.</summary>
    public static ProblemDetails Validate(HttpRequest request, RequestLicenseFile? command) =>
        MachineFingerprint.CheckClientRequest(request.Query, [], command?.Fingerprint, command?.Product);

    /// <summary>
    /// The software on a machine gets a signed file of its own license, to keep and verify offline. Idempotent by
    /// nature: each call signs a new file, and a file bound to a machine holds its seat until it expires. A license with
    /// a seat limit gives files only to a machine: a file without one would be a seat no one counts.
    /// </summary>
    [WolverinePost("/api/v1/client/license-file", OperationId = "getThisLicenseFile", Summary = "Get a signed license file (license key)")]
    [Authorize(CatalogClaims.LicenseKeyPolicy)]
    [IdempotentByNature]
    [RetryOnContention]
    [ProducesResponseType<Resource<LicenseFileDetails>>(200)]
    [Refuses(400, "The license has a seat limit and no `fingerprint` was given.")]
    [Refuses(403, "No file: `code` is PRODUCT_MISMATCH, PRODUCT_DELETED, SUSPENDED, EXPIRED, or NOT_ACTIVATED (the fingerprint is not an active machine).")]
    public static async Task<IResult> Post(RequestLicenseFile? command, ClaimsPrincipal user, IDocumentSession session, SigningKeyRing keys,
        SigningSettings settings, TimeProvider time, CancellationToken token)
    {
        var license = await session.LoadAsync<License>(user.License(), token)
                      ?? throw new InvalidOperationException("An authenticated license key names a license that does not exist");
        var policy = await session.PolicyOf(license.PolicyId, token);
        if (command?.Fingerprint is null && license.MaxMachinesUnder(policy) is not null)
            return Results.Problem(Problems.Validation("fingerprint",
                "is required: the license has a seat limit, so its files are given only to an active machine"));
        return await LicenseFileRules.Issue(license, policy, command?.Fingerprint, command?.Product, session, keys, settings, time, token);
    }
}
