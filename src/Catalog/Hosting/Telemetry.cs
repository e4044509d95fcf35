using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Catalog.Hosting;

/// <summary>
/// OpenTelemetry for ASP.NET Core, Wolverine, Marten and Npgsql over OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is
/// set (or <c>Telemetry:Enabled</c>): otherwise nothing is collected, and nothing paid.
/// </summary>
public static class Telemetry
{
    public static WebApplicationBuilder AddTelemetry(this WebApplicationBuilder builder)
    {
        var otlp = !string.IsNullOrEmpty(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        if (!otlp && !builder.Configuration.GetValue<bool>("Telemetry:Enabled")) return builder;

        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("catalog"))
            .WithTracing(tracing => tracing
                .AddAspNetCoreInstrumentation(options => options.Filter = context => !context.Request.Path.StartsWithSegments("/health"))
                .AddNpgsql()
                .AddSource("Wolverine", "Marten"))
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddMeter("Wolverine", "Marten", "Npgsql"));
        if (otlp) telemetry.UseOtlpExporter();
        return builder;
    }
}
