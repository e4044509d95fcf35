using Catalog.Webhooks;
using static Catalog.Tests.GivenEndpoints;

namespace Catalog.Tests.Webhooks;

/// <summary>What one attempt's outcome means for its endpoint: 72 hours of nothing but failures disables it.</summary>
public class when_an_attempt_ends
{
    private static readonly TimeSpan DisableAfter = TimeSpan.FromHours(72);

    private static EndpointHealth After(WebhookEndpoint endpoint, bool succeeded) =>
        EndpointHealthRules.After(endpoint, succeeded, Given.Now, DisableAfter);

    [Fact]
    public void a_success_of_a_healthy_endpoint_changes_nothing() =>
        Assert.Equal(EndpointHealth.Unchanged, After(AHealthyEndpoint(), succeeded: true));

    [Fact]
    public void a_first_failure_starts_the_clock() =>
        Assert.Equal(EndpointHealth.StartedFailing, After(AHealthyEndpoint(), succeeded: false));

    [Fact]
    public void a_success_after_failures_recovers_the_endpoint() =>
        Assert.Equal(EndpointHealth.Recovered, After(AnEndpointFailingFor(TimeSpan.FromHours(71)), succeeded: true));

    [Fact]
    public void a_failure_within_72_hours_of_the_first_changes_nothing() =>
        Assert.Equal(EndpointHealth.Unchanged, After(AnEndpointFailingFor(TimeSpan.FromHours(71.9)), succeeded: false));

    [Fact]
    public void a_failure_72_hours_after_the_first_kills_the_endpoint() =>
        Assert.Equal(EndpointHealth.Dead, After(AnEndpointFailingFor(TimeSpan.FromHours(72)), succeeded: false));

    [Fact]
    public void a_success_even_after_72_hours_of_failures_recovers_it() =>
        Assert.Equal(EndpointHealth.Recovered, After(AnEndpointFailingFor(TimeSpan.FromHours(100)), succeeded: true));
}
