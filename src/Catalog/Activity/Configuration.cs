using JasperFx.Events.Projections;

namespace Catalog.Activity;

/// <summary>A product's activity per day: activations projected from their events; validations tallied and recorded as counters.</summary>
public static class ActivityConfiguration
{
    public static StoreOptions ConfigureActivity(this StoreOptions options)
    {
        options.Projections.Add<ProductActivationsProjection>(ProjectionLifecycle.Async);
        options.Schema.For<ProductActivations>().MultiTenanted();
        options.Storage.Add(new ValidationCountsTable(options));
        return options;
    }

    public static IServiceCollection AddActivity(this IServiceCollection services) =>
        services.AddSingleton<ValidationTally>().AddHostedService<ValidationCounts>();
}
