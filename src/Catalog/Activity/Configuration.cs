using JasperFx.Events.Projections;

namespace Catalog.Activity;

/// <summary>A product's activity per day: the projection of activations and validation counts, and the tally of validations.</summary>
public static class ActivityConfiguration
{
    public static StoreOptions ConfigureActivity(this StoreOptions options)
    {
        options.Projections.Add<ProductActivityProjection>(ProjectionLifecycle.Async);
        options.Schema.For<ProductActivity>().MultiTenanted();
        return options;
    }

    public static IServiceCollection AddActivity(this IServiceCollection services) =>
        services.AddSingleton<ValidationTally>().AddHostedService<ValidationCounts>();
}
