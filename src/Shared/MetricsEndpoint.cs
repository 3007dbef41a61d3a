using System.Diagnostics.Metrics;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace Convoy.Probes;

/// <summary>
/// The Prometheus endpoint, the same in every cloud program: the program's own meters and the
/// .NET runtime's, in Prometheus' text format at <c>/metrics</c>, with the program named as the
/// resource's <c>service.name</c> (so <c>target_info</c> never says <c>unknown_service</c>).
/// Compiled into each web program (a linked file, src/Shared), internal to each; served beside
/// <see cref="HealthEndpoints"/> on the program's operations port.
/// </summary>
internal static class MetricsEndpoint
{
    public const string Path = "/metrics";

    /// <summary>Exports <paramref name="meters"/> and the runtime's instruments as <paramref name="program"/> (e.g. convoy-alert-engine).</summary>
    public static IServiceCollection AddMetricsEndpoint(this IServiceCollection services, string program, params string[] meters)
    {
        ThreadPoolGauges.Register();
        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(program, serviceVersion: typeof(MetricsEndpoint).Assembly.GetName().Version?.ToString(3)))
            .WithMetrics(metrics => metrics
                .AddMeter(meters)
                .AddRuntimeInstrumentation()
                // The runtime's own meter names three gauges "...count", which Prometheus keeps
                // for a histogram's or summary's sample count (promtool check metrics flags them).
                .AddView("dotnet.assembly.count", new MetricStreamConfiguration { Name = "dotnet.assemblies.loaded" })
                .AddView("dotnet.process.cpu.count", new MetricStreamConfiguration { Name = "dotnet.process.cpus" })
                .AddView("dotnet.timer.count", new MetricStreamConfiguration { Name = "dotnet.timers.active" })
                // Two that go down as well as up are published by the runtime as counters, so
                // Prometheus would get "_total" series that a rate() misreads: gauges instead.
                .AddView("dotnet.thread_pool.thread.count", MetricStreamConfiguration.Drop)
                .AddView("dotnet.thread_pool.queue.length", MetricStreamConfiguration.Drop)
                .AddMeter(ThreadPoolGauges.Name)
                .AddPrometheusExporter());
        return services;
    }

    /// <summary>The thread pool's threads and queued work items, as gauges (one meter per process).</summary>
    private static class ThreadPoolGauges
    {
        public const string Name = "Convoy.ThreadPool";
        private static readonly Meter Meter = new(Name);

        static ThreadPoolGauges()
        {
            Meter.CreateObservableGauge("dotnet.thread_pool.threads", static () => (long)ThreadPool.ThreadCount, "{thread}", "Thread pool threads that exist now");
            Meter.CreateObservableGauge("dotnet.thread_pool.queued_work_items", static () => ThreadPool.PendingWorkItemCount, "{work_item}", "Work items queued to the thread pool now");
        }

        public static void Register() => _ = Meter;
    }

    /// <summary>Serves <c>/metrics</c> to the requests <paramref name="serves"/> accepts (all when null).</summary>
    public static IApplicationBuilder UseMetricsEndpoint(this IApplicationBuilder app, Func<HttpContext, bool>? serves = null) =>
        app.UseOpenTelemetryPrometheusScrapingEndpoint(context => context.Request.Path == Path && (serves is null || serves(context)));
}
