using Catalog.Conventions;
using Catalog.Policies;
using Catalog.Products;
using JasperFx.Events;

namespace Catalog.Licenses;

/// <summary>
/// A license's own stream under its lock, with what a decision on the license reads under it: the license (null when
/// the account has none with that id), its policy and, when asked for, its product. What an endpoint loads before it
/// decides, so that its answer is a plain resource and its refusals come from its Validate.
/// </summary>
public sealed record LockedLicense(IEventStream<LicenseSeats> Stream, License? License, Policy? Policy, Product? Product)
{
    public static readonly ProblemDetails NoSuchLicense = Problems.Status(404, "No such license.");

    public static async Task<LockedLicense> Take(IDocumentSession session, Guid licenseId, CancellationToken token, bool withProduct = false)
    {
        var (stream, _, license) = await LicenseStream.Lock(session, licenseId, token);
        return new(stream, license, await session.PolicyOf(license?.PolicyId, token),
            withProduct && license is not null ? await session.LoadAsync<Product>(license.ProductId, token) : null);
    }

    /// <summary>404 when there is no such license, else the decision's refusal, if any.</summary>
    public ProblemDetails Refusal(Func<License, ProblemDetails?> decide) =>
        License is null ? NoSuchLicense : decide(License) ?? WolverineContinue.NoProblems;

    /// <summary>The license as it stands after these events (none: as it is), under its policy.</summary>
    public Resource<LicenseDetails> Answer(License after, DateTimeOffset now) => new(LicenseDetails.From(after, Policy, now));
}
