using Convoy.Contracts.Alerts.V1;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using static Convoy.AlertEngine.Tests.RuleTestKit;

namespace Convoy.AlertEngine.Tests;

/// <summary>
/// A held batch's offset is not committed: an engine stopped while it holds a batch (allowed
/// lateness, nothing newer arrived, its clock not yet past the lateness) leaves that record to the
/// next engine of the group, which raises the alert. Nothing acknowledged is lost to holding.
/// </summary>
public sealed class LatenessOnKafkaTests : IDisposable
{
    private readonly EngineKafka _kafka = new(partitions: 1, alertTopics: true, "acme");
    private readonly string _group = "lateness-" + Guid.NewGuid().ToString("N");

    public void Dispose() => _kafka.Dispose();

    [Fact]
    public async Task Engine_StoppedWhileHoldingABatch_TheNextEngineAppliesIt()
    {
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(Base));
        using (var holding = Engine(latenessSeconds: 600, time))
        {
            await holding.StartAsync();
            var meters = holding.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
            using var evaluated = new Microsoft.Extensions.Diagnostics.Metrics.Testing.MetricCollector<long>(meters, AlertEngineMetrics.MeterName, "convoy.alertengine.batches.evaluated");
            await _kafka.SendAsync("acme", 1, Temperatures("truck-1", 0, 10, _ => 9f)); // the default rule: above 8 for 5 min

            // The holding engine consumes the record (its batch counted) but raises nothing: held.
            await Eventually.HoldsAsync(() => evaluated.GetMeasurementSnapshot().Count > 0, EngineOnKafka.Patience, "the engine to evaluate the batch");
            Assert.Empty(Alerts("acme"));
            await holding.StopAsync();
        }

        using var next = Engine(latenessSeconds: 0, TimeProvider.System);
        await next.StartAsync();
        await Eventually.HoldsAsync(() => Alerts("acme").Count > 0, EngineOnKafka.Patience, "an alert in the tenant's alert topic");
        var alert = Assert.Single(Alerts("acme"));
        Assert.Equal(AlertState.Firing, alert.State);
        Assert.Equal("reefer-too-warm", alert.RuleId);
        await next.StopAsync();
    }

    private IHost Engine(int latenessSeconds, TimeProvider time) =>
        // A short session: should the mock cluster not take the first engine's leave, the second is not kept waiting 45 s.
        AlertEngineHost.Build(["--AlertEngine:MetricsPort=0", $"--AlertEngine:GroupId={_group}", $"--AlertEngine:AllowedLatenessSeconds={latenessSeconds}", "--Kafka:ConsumerProperties:session.timeout.ms=6000"], services =>
        {
            services.AddSingleton(_kafka.Cluster);
            services.AddSingleton(time);
        });

    private List<Alert> Alerts(string tenant) => _kafka.Alerts(tenant);
}
