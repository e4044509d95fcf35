using JasperFx.Events.Projections;

namespace Catalog.Machines;

/// <summary>Machines: one document per active machine (and per deactivated one whose seat a license file holds).</summary>
public static class MachinesConfiguration
{
    public static StoreOptions ConfigureMachines(this StoreOptions options)
    {
        options.Projections.Add<MachineProjection>(ProjectionLifecycle.Inline);
        // A license's machines newest first: one index range, however many machines other licenses have.
        options.Schema.For<Machine>().MultiTenanted()
            .Index([x => x.LicenseId, x => x.Id], index => index.Name = "mt_doc_machine_idx_license_id_id");
        // Heartbeat rows: found by their license (a column that never changes, so heartbeats stay HOT updates), and by
        // the sweep through a scan of a small table (an index on their expiry would make every heartbeat grow it).
        options.Schema.For<MachineHeartbeat>().MultiTenanted().Duplicate(x => x.LicenseId);
        options.Projections.Add<TrialProjection>(ProjectionLifecycle.Inline);
        options.Schema.For<TrialUse>().MultiTenanted()
            .UniqueIndex(Marten.Schema.UniqueIndexType.Computed, Trials.Index, Marten.Schema.Indexing.Unique.TenancyScope.PerTenant,
                x => x.ProductId, x => x.Fingerprint);
        return options;
    }

    public static IServiceCollection AddMachines(this IServiceCollection services) =>
        services.AddSingleton<HeartbeatRows>().AddHostedService<DeadMachines>();
}
