namespace Catalog.Machines;

/// <summary>
/// A fingerprint's trial of a product: written (by <see cref="TrialProjection"/>) when a machine is first activated on a
/// license under a trial policy, and never deleted, so a reinstall, a new trial license or a deactivation does not give
/// that installation a second trial. Unique per product and fingerprint: of two concurrent first activations of one
/// fingerprint on two trial licenses, one commits and the other runs again and is refused.
/// </summary>
public sealed record TrialUse(Guid Id, Guid ProductId, string Fingerprint, Guid LicenseId, DateTimeOffset StartedAt);

public static class Trials
{
    public const string TrialAlreadyUsed = "TRIAL_ALREADY_USED";
    public const string Index = "mt_doc_trialuse_uidx_product_fingerprint";

    /// <summary>The trial this fingerprint already had of the product, if any.</summary>
    public static Task<TrialUse?> Of(IQuerySession session, Guid productId, string fingerprint, CancellationToken token) =>
        session.Query<TrialUse>().Where(x => x.ProductId == productId && x.Fingerprint == fingerprint).FirstOrDefaultAsync(token);

    public static ProblemDetails Refusal() => Conventions.Problems.Refusal(409, TrialAlreadyUsed,
        "This machine already had a trial of this product, on another trial license.");
}

public partial class TrialProjection : Marten.Events.Projections.EventProjection
{
    public void Project(Licenses.MachineActivated e, IDocumentOperations operations)
    {
        if (e.StartsTrial) operations.Store(new TrialUse(e.MachineId, e.ProductId, e.Fingerprint, e.LicenseId, e.ActivatedAt));
    }
}
