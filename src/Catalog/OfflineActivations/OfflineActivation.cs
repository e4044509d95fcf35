using System.Buffers.Text;
using System.ComponentModel;
using System.Security.Claims;
using System.Text.Json.Serialization;
using Catalog.Accounts;
using Catalog.Conventions;
using Catalog.Http;
using Catalog.LicenseFiles;
using Catalog.Machines;
using Catalog.SigningKeys;

namespace Catalog.OfflineActivations;

// Activation without a network: the software on an air-gapped machine writes an activation request, someone carries it
// to a connected device, which sends it; the answer's license file, bound to the machine, is carried back and installed.
// The request format is documented in docs/offline-activation.md.

public record SendOfflineActivation(
    [property: Required, Description("The activation request the software wrote: the base64url of its JSON (fingerprint, name, product, nonce).")]
    string? Request);

/// <summary>What the software on the machine writes (then base64url-encoded): its activation, and a random nonce.</summary>
public sealed record OfflineActivationRequest(
    string? Fingerprint,
    string? Name,
    string? Product,
    string? Nonce,
    Dictionary<string, JsonElement>? Metadata = null)
{
    public const int MaxNonceLength = 255;

    /// <summary>The request decoded, or null when it is not the base64url of such a JSON object (a 400 naming <c>request</c>).</summary>
    public static OfflineActivationRequest? Decode(string? request)
    {
        if (string.IsNullOrEmpty(request) || request.Length > RequestBodies.MaxBytes) return null;
        try
        {
            var json = Base64Url.DecodeFromChars(request.Trim());
            return JsonSerializer.Deserialize<OfflineActivationRequest>(json, Reading);
        }
        catch (Exception e) when (e is FormatException or JsonException) { return null; }
    }

    private static readonly JsonSerializerOptions Reading = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip, // a later SDK may add fields
    };

    public ActivateMachine AsActivation() => new(Fingerprint, Name, Metadata, Product);
}

/// <summary>The machine activated from the request, and its license file.</summary>
[SchemaName("OfflineActivation")]
public record OfflineActivationDetails(
    MachineDetails Machine,
    [property: Description("A license file (compact JWS) bound to the machine: the software installs it and runs offline until it expires.")]
    string File);

public static class OfflineActivationRules
{
    /// <summary>400 naming <c>request</c> when it is not a well-formed activation request: what it says, and why not.</summary>
    public static ProblemDetails Check(SendOfflineActivation? command)
    {
        if (OfflineActivationRequest.Decode(command?.Request) is not { } request)
            return Problems.Validation("request", "must be an activation request: the base64url of a JSON object with fingerprint, name, product and nonce");
        var errors = new List<string>();
        if (string.IsNullOrEmpty(request.Product)) errors.Add("its product is required");
        if (string.IsNullOrEmpty(request.Nonce) || request.Nonce.Length > OfflineActivationRequest.MaxNonceLength)
            errors.Add($"its nonce is required, 1-{OfflineActivationRequest.MaxNonceLength} characters");
        if (MachineRules.Check(request.AsActivation()) is HttpValidationProblemDetails invalid)
            errors.AddRange(invalid.Errors.SelectMany(x => x.Value.Select(message => $"its {x.Key} {message}")));
        return errors.Count == 0 ? WolverineContinue.NoProblems : Problems.Validation("request", string.Join("; ", errors));
    }

    /// <summary>
    /// Activates the request's machine under every rule of online activation (seats, trial, heartbeats, its product: the
    /// request's own), and answers it with a license file bound to it, in one transaction: the file's seat hold is
    /// recorded with the machine. The same request again (or any for an active fingerprint) answers 200 with the same
    /// machine and a new file.
    /// </summary>
    public static async Task<IResult> Activate(Guid licenseId, SendOfflineActivation command, HttpResponse response, IDocumentSession session,
        HeartbeatRows heartbeats, SigningKeyRing keys, SigningSettings settings, TimeProvider time, CancellationToken token)
    {
        var request = OfflineActivationRequest.Decode(command.Request)!;
        var activation = await Seats.Decide(licenseId, request.AsActivation(), session, heartbeats, time, token);
        if (activation is not { Decision: var decision, Now: var now }) return Results.Problem(Problems.Status(404, "No such license."));
        if (decision.Refusal is { } refusal) return Results.Problem(refusal);

        var seat = activation.Seat!;
        var (claims, refused, recorded) = LicenseFileRules.DecideRecorded(activation.License, activation.Product, activation.Policy,
            seat.Fingerprint, seat, now, settings, request.Product);
        if (refused is not null) return Results.Problem(refused); // nothing appended: a license ending within this second
        activation.Stream.AppendMany(decision.Events);
        activation.Stream.AppendMany(recorded);

        var (_, file) = await LicenseFileRules.Sign(session, keys, claims!, token);
        var machine = decision.Activated is { } activated
            ? MachineDetails.From(activated, activation.Policy)
            : await Seats.Existing(session, licenseId, seat, activation.Policy, token);
        if (decision.Activated is not null) response.Headers.Location = machine.Location;
        return Results.Json(new Resource<OfflineActivationDetails>(new(machine, file)), ApiJson.Options,
            statusCode: decision.Activated is null ? 200 : 201);
    }
}

[Tags("Client")]
public static class SendThisOfflineActivationEndpoint
{
    /// <summary>Its product is the request's own: a query (say <c>?product=</c>) is refused.</summary>
    public static ProblemDetails Validate(HttpRequest request, SendOfflineActivation? command) =>
        QueryParameters.Only(request.Query) is { Status: 400 } refused ? refused : OfflineActivationRules.Check(command);

    /// <summary>A connected device sends an air-gapped machine's activation request, with the license key.</summary>
    [WolverinePost("/api/v1/client/offline-activations", OperationId = "sendThisOfflineActivation", Summary = "Activate a machine offline (license key)")]
    [Authorize(CatalogClaims.LicenseKeyPolicy)]
    [IdempotentByNature]
    [RetryOnContention(Trials.Index)]
    [ProducesResponseType<Resource<OfflineActivationDetails>>(201)]
    [ProducesResponseType<Resource<OfflineActivationDetails>>(200, Description = "The fingerprint was already active: the same machine, and a new file.")]
    [Refuses(403, "`code` is PRODUCT_MISMATCH (the request's product is not the license's), PRODUCT_DELETED, SUSPENDED or EXPIRED.")]
    [Refuses(409, "Every seat is taken: `code` is MACHINE_LIMIT_REACHED; or this machine had its trial of the product: TRIAL_ALREADY_USED.")]
    public static Task<IResult> Post(SendOfflineActivation command, ClaimsPrincipal user, HttpResponse response, IDocumentSession session,
        HeartbeatRows heartbeats, SigningKeyRing keys, SigningSettings settings, TimeProvider time, CancellationToken token) =>
        OfflineActivationRules.Activate(user.License(), command, response, session, heartbeats, keys, settings, time, token);
}

[Tags("Machines")]
public static class SendOfflineActivationEndpoint
{
    public static ProblemDetails Validate(SendOfflineActivation? command) => OfflineActivationRules.Check(command);

    /// <summary>The vendor's back end (its support desk, say) sends a customer's activation request, under the same rules.</summary>
    [WolverinePost("/api/v1/licenses/{id}/offline-activations", OperationId = "sendOfflineActivation", Summary = "Activate a machine offline")]
    [Authorize(Scopes.LicensesWrite)]
    [IdempotentByNature]
    [RetryOnContention(Trials.Index)]
    [ProducesResponseType<Resource<OfflineActivationDetails>>(201)]
    [ProducesResponseType<Resource<OfflineActivationDetails>>(200, Description = "The fingerprint was already active: the same machine, and a new file.")]
    [Refuses(403, "`code` is PRODUCT_MISMATCH (the request's product is not the license's), REVOKED, PRODUCT_DELETED, SUSPENDED or EXPIRED.")]
    [Refuses(409, "Every seat is taken: `code` is MACHINE_LIMIT_REACHED; or this machine had its trial of the product: TRIAL_ALREADY_USED.")]
    public static Task<IResult> Post(SendOfflineActivation command, [Document("id")] Licenses.License license, IDocumentSession session,
        HttpResponse response, HeartbeatRows heartbeats, SigningKeyRing keys, SigningSettings settings, TimeProvider time, CancellationToken token) =>
        OfflineActivationRules.Activate(license.Id, command, response, session, heartbeats, keys, settings, time, token);
}
