using Convoy.AlertEngine.Alerts;
using Convoy.Contracts.Alerts.V1;
using Convoy.Contracts.Telemetry.V1;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Hosting;
using static Convoy.AlertEngine.Tests.RuleTestKit;

namespace Convoy.AlertEngine.Tests;

/// <summary>
/// Per-device rule state survives a rebalance and a restart: a reefer warm (above 8 degC, the
/// default rule's 5 minutes) for 4 minutes of event time on one engine fires at the 5-minute mark on
/// the engine that owns its partition next, exactly once, with the deterministic id; a batch read
/// again there is a duplicate, not a second start.
/// </summary>
public sealed class RuleStateOnKafkaTests : IDisposable
{
    private const string Tenant = "acme";
    private const string Truck = "reefer-7";
    private readonly EngineKafka _kafka = new(partitions: 1, alertTopics: true, Tenant);
    private readonly string _group = "state-" + Guid.NewGuid().ToString("N");

    public void Dispose() => _kafka.Dispose();

    /// <summary>The alert the excursion must raise: started at minute 0, so its id is fixed whoever computes it.</summary>
    private static string ExpectedId => AlertIds.For(Tenant, Truck, "reefer-too-warm", 1, Minute(0));

    [Fact]
    public async Task TwoEngines_PartitionMovesMidExcursion_ExactlyOneAlertAtFiveMinutes()
    {
        using var first = Engine();
        await first.StartAsync();
        using var firstEvaluated = Counter(first, "convoy.alertengine.batches.evaluated");

        // Minutes 0..4 warm on the first engine: 4 minutes, not yet the rule's 5.
        await Send(1, Temperatures(Truck, 0, 5, Warm));
        await Eventually.HoldsAsync(() => Total(firstEvaluated) == 1, EngineOnKafka.Patience, "the first engine to evaluate one batch");

        using var second = Engine();
        await second.StartAsync();
        using var secondEvaluated = Counter(second, "convoy.alertengine.batches.evaluated");
        using var secondDuplicates = Counter(second, "convoy.alertengine.batches.duplicate");
        Assert.Empty(Alerts(Tenant));

        // The first engine leaves: its one partition (and the reefer) moves to the second, which
        // must take over the 4-minute-old excursion from the state topic.
        await first.StopAsync();

        // The collector's retry of batch 1 (read again by the new owner), then minutes 5..6.
        await Send(1, Temperatures(Truck, 0, 5, Warm));
        await Send(2, Temperatures(Truck, 5, 2, Warm));
        await Eventually.HoldsAsync(() => Total(secondEvaluated) >= 1 && Total(secondDuplicates) >= 1, EngineOnKafka.Patience, "the second engine to evaluate the new batch and skip the replayed one");
        await Eventually.HoldsAsync(() => Alerts(Tenant).Count > 0, EngineOnKafka.Patience, "an alert in the tenant's alert topic");

        var alert = Assert.Single(Alerts(Tenant));
        AssertFiredAtFiveMinutes(alert);
        Assert.Equal(1, Total(secondEvaluated));   // only batch 2 evaluated there...
        // ...batch 1 (the retry, and the original too when the first engine's offset was not yet
        // committed: the mock cluster refuses commits during a rebalance) a duplicate by the
        // restored sequence, never a new start of the excursion.
        Assert.InRange(Total(secondDuplicates), 1, 2);
        Assert.Equal(1, Total(firstEvaluated));    // the first engine never saw batch 2
        await second.StopAsync();
        Assert.Single(Alerts(Tenant));
    }

    [Fact]
    public async Task Engine_RestartedMidExcursion_NewEngineFiresOnceAtFiveMinutes()
    {
        using (var before = Engine())
        {
            await before.StartAsync();
            using var evaluated = Counter(before, "convoy.alertengine.batches.evaluated");
            await Send(1, Temperatures(Truck, 0, 5, Warm));
            await Eventually.HoldsAsync(() => Total(evaluated) == 1, EngineOnKafka.Patience, "the engine to evaluate one batch");
            await before.StopAsync();
        }

        // A new process-level object graph: nothing survives in memory.
        using var after = Engine();
        await after.StartAsync();
        using var afterEvaluated = Counter(after, "convoy.alertengine.batches.evaluated");
        await Send(2, Temperatures(Truck, 5, 2, Warm));
        await Eventually.HoldsAsync(() => Alerts(Tenant).Count > 0, EngineOnKafka.Patience, "an alert in the tenant's alert topic");

        var alert = Assert.Single(Alerts(Tenant));
        AssertFiredAtFiveMinutes(alert);
        Assert.Equal(1, Total(afterEvaluated)); // batch 1 not evaluated again: committed, or read again and dropped by the restored sequence
        await after.StopAsync();
    }

    // 9.0 degC at minute 0, 9.1 at minute 1, ...: the alert's trigger value tells the minute that completed the duration.
    private static float Warm(int minute) => 9f + (minute / 10f);

    private static void AssertFiredAtFiveMinutes(Alert alert)
    {
        Assert.Equal(AlertState.Firing, alert.State);
        Assert.Equal(ExpectedId, alert.AlertId);
        Assert.Equal(Minute(0), alert.StartTimeUnixMs);
        Assert.Equal(Warm(5), alert.TriggerValue, 3);   // the minute-5 reading completed the 5 minutes
        Assert.Equal(2ul, alert.SourceSequence);
    }

    private IHost Engine() =>
        AlertEngineHost.Build(["--AlertEngine:MetricsPort=0", $"--AlertEngine:GroupId={_group}", "--Kafka:ConsumerProperties:session.timeout.ms=6000"], services =>
        {
            services.AddSingleton(_kafka.Cluster);
            services.AddSingleton(TimeProvider.System);
        });

    private static MetricCollector<long> Counter(IHost engine, string name) =>
        new(engine.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), AlertEngineMetrics.MeterName, name);

    private static long Total(MetricCollector<long> counter)
    {
        long total = 0;
        foreach (var m in counter.GetMeasurementSnapshot())
        {
            total += m.Value;
        }

        return total;
    }

    private Task Send(ulong sequence, TelemetryBatch batch) => _kafka.SendAsync(Tenant, sequence, batch);

    private List<Alert> Alerts(string tenant) => _kafka.Alerts(tenant);
}
