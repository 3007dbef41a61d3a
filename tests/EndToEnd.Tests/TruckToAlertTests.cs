using Convoy.Contracts;
using Convoy.Contracts.Alerts.V1;
using Convoy.Contracts.Telemetry.V1;
using Convoy.EdgeAgent;
using Convoy.EdgeAgent.Simulation;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Convoy.EndToEnd.Tests;

/// <summary>
/// The whole path with real parts: simulated trucks stream over mutual TLS to a real Kestrel
/// collector on 127.0.0.1:0, which writes to the embedded Kafka; the alert engine consumes it
/// with real Confluent.Kafka clients and writes alerts back.
/// </summary>
public sealed class TruckToAlertTests : IAsyncLifetime
{
    private const string TenantA = "tenant-a";
    private const string TenantB = "tenant-b";
    private readonly MeterTotals _meters = new();
    private TestCollector _collector = null!;
    private TestAlertEngine _engine = null!;

    public async Task InitializeAsync()
    {
        _collector = await TestCollector.StartAsync(new TestCollectorSetup { Tenants = [TenantA, TenantB], Partitions = 4, AlertTopics = true });
        _engine = await TestAlertEngine.StartAsync(_collector.Kafka);
    }

    public async Task DisposeAsync()
    {
        await _engine.DisposeAsync();
        await _collector.DisposeAsync();
        _meters.Dispose();
    }

    [Fact]
    public async Task ReeferExcursion_RaisesAlertForItsTenantOnly_AndEveryAcknowledgedBatchIsInKafkaExactlyOnce()
    {
        // Arrange: one truck per tenant, an hour of backlog replayed fast; only tenant A's reefer fails.
        var agentA = Agent(TenantA, reeferFailures: 1);
        var agentB = Agent(TenantB, reeferFailures: 0);

        // Act
        await agentA.StartAsync();
        await agentB.StartAsync();
        var alert = await FirstAlertAsync(TelemetryRecordHeaders.AlertTopic(TenantA), TimeSpan.FromSeconds(90));
        var (fleetA, fleetB) = (agentA.Services.GetRequiredService<SimulatedFleet>(), agentB.Services.GetRequiredService<SimulatedFleet>());
        await Eventually.HoldsAsync(() => CaughtUpAndAcknowledged(fleetA) && CaughtUpAndAcknowledged(fleetB), TimeSpan.FromSeconds(60),
            "both trucks' batches to be acknowledged");
        await agentA.StopAsync();
        await agentB.StopAsync();
        var (truckA, truckB) = (fleetA.Trucks[0].Buffer, fleetB.Trucks[0].Buffer);
        ulong ackedA = truckA.Acked;
        ulong ackedB = truckB.Acked;
        await Eventually.HoldsAsync(
            () => _meters["convoy.alertengine.batches.evaluated", TenantA] >= (long)ackedA && _meters["convoy.alertengine.batches.evaluated", TenantB] >= (long)ackedB,
            TimeSpan.FromSeconds(30), "the alert engine to evaluate every batch of both tenants");

        // Assert: the alert is tenant A's truck, firing, above the threshold, with a position.
        Assert.Equal(TenantA, alert.TenantId);
        Assert.Equal("truck-001", alert.DeviceId);
        Assert.Equal("reefer-too-warm", alert.RuleId);
        Assert.Equal(AlertState.Firing, alert.State);
        Assert.True(alert.TriggerValue > 8, $"trigger value {alert.TriggerValue} should be above 8 degC");
        Assert.NotNull(alert.LastPosition);
        Assert.Matches("^[0-9a-f]{32}$", alert.AlertId);

        // Nothing for tenant B, although its batches were all evaluated.
        Assert.Empty(KafkaTopics.ReadAll(_collector.Kafka.BootstrapServers, TelemetryRecordHeaders.AlertTopic(TenantB)));
        // The excursion never ends (no repair), so it is one alert, fired once, however many readings violate.
        var alertsA = KafkaTopics.ReadAll(_collector.Kafka.BootstrapServers, TelemetryRecordHeaders.AlertTopic(TenantA));
        var only = Alert.Parser.ParseFrom(Assert.Single(alertsA).Message.Value);
        Assert.Equal(alert.AlertId, only.AlertId);
        Assert.Equal("truck-001", Assert.Single(alertsA).Message.Key);

        // Every acknowledged batch is in its tenant's topic exactly once, keyed and stamped with the authenticated identity.
        AssertExactlyOnce(TenantA, truckA.Device, ackedA);
        AssertExactlyOnce(TenantB, truckB.Device, ackedB);
    }

    private void AssertExactlyOnce(string tenant, string device, ulong acked)
    {
        Assert.True(acked >= 60, $"{tenant}/{device}: expected an hour of one-minute batches acknowledged, got {acked}");
        var records = KafkaTopics.ReadAll(_collector.Kafka.BootstrapServers, TelemetryRecordHeaders.TelemetryTopic(tenant));
        var sequences = new List<ulong>();
        foreach (var record in records)
        {
            Assert.Equal(device, record.Message.Key);
            Assert.Equal(tenant, KafkaTopics.Header(record, TelemetryRecordHeaders.Tenant));
            Assert.Equal(device, KafkaTopics.Header(record, TelemetryRecordHeaders.Device));
            var batch = TelemetryBatch.Parser.ParseFrom(record.Message.Value);
            Assert.Equal(KafkaTopics.Sequence(record), batch.Sequence);
            Assert.Equal(device, batch.DeviceId);
            sequences.Add(batch.Sequence);
        }

        sequences.Sort();
        Assert.Equal(Enumerable.Range(1, (int)acked).Select(i => (ulong)i), sequences);
    }

    private static bool CaughtUpAndAcknowledged(SimulatedFleet fleet)
    {
        var buffer = fleet.Trucks[0].Buffer;
        return buffer.LastSequence >= 60 && buffer.Acked == buffer.LastSequence;
    }

    private async Task<Alert> FirstAlertAsync(string topic, TimeSpan timeout)
    {
        Alert? found = null;
        await Eventually.HoldsAsync(() =>
        {
            found = KafkaTopics.ReadAll(_collector.Kafka.BootstrapServers, topic).Select(r => Alert.Parser.ParseFrom(r.Message.Value)).FirstOrDefault();
            return found is not null;
        }, timeout, $"an alert in {topic}");
        return found!;
    }

    private IHost Agent(string tenant, int reeferFailures) => EdgeAgentHost.Build(
    [
        $"--EdgeAgent:Collectors:0={_collector.Address}",
        "--EdgeAgent:DevCertificates=true",
        $"--EdgeAgent:CertificatesFolder={_collector.Folder}",
        $"--EdgeAgent:Simulator:Tenant={tenant}",
        "--EdgeAgent:Simulator:Trucks=1",
        "--EdgeAgent:Simulator:TimeScale=1200",
        "--EdgeAgent:Simulator:StartInPast=01:00:00",
        "--EdgeAgent:Simulator:BatchSpan=00:01:00",
        $"--EdgeAgent:Simulator:ReeferFailures={reeferFailures}",
        "--EdgeAgent:Simulator:ReeferFailureAfter=00:05:00",
    ]);
}
