using Catalog.Hosting;
using JasperFx.Events.Projections;

namespace Catalog.Entitlements;

/// <summary>Entitlements: one stream each, the document projected inline from it.</summary>
public static class EntitlementsConfiguration
{
    /// <summary>Codes are unique per account, whatever their case.</summary>
    public const string CodeIndex = "mt_doc_entitlement_uidx_code";

    public static StoreOptions ConfigureEntitlements(this StoreOptions options)
    {
        options.Projections.Snapshot<Entitlement>(SnapshotLifecycle.Inline);
        options.Schema.For<Entitlement>().UniqueCodePerAccount(x => x.Code, CodeIndex);
        return options;
    }
}
