using Confluent.Kafka;
using Convoy.Contracts;
using Convoy.AlertEngine.Alerts;
using Convoy.Contracts.Alerts.V1;
using Convoy.Kafka;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using static Convoy.AlertEngine.Tests.EngineOnKafka;
using static Convoy.AlertEngine.Tests.RuleTestKit;

namespace Convoy.AlertEngine.Tests;

/// <summary>
/// Alerts are sent without waiting and confirmed at the engine's checkpoint: an alert Kafka refuses
/// keeps the offset of the record that raised it from being stored until Kafka has it, so neither
/// a crash nor a rebalance in between can lose it.
/// </summary>
public sealed class AlertWritesOnKafkaTests : IDisposable
{
    private const string Tenant = "acme";
    private const string Truck = "reefer-9";
    private readonly EngineKafka _kafka = new(partitions: 1, alertTopics: false, Tenant);
    private readonly string _group = "alert-writes-" + Guid.NewGuid().ToString("N");

    public AlertWritesOnKafkaTests() => _kafka.Cluster.CreateTopic("convoy.alert-state", partitions: 1);

    public void Dispose() => _kafka.Dispose();

    [Fact]
    public async Task AnAlertKafkaRefuses_IsWrittenOnceItCan_AndItsRecordIsNotCommittedBefore()
    {
        // The engine as operators run it against their own cluster: it creates no topics, and the
        // tenant's alert topic does not exist yet.
        var logs = new TestLogs();
        using var engine = AlertEngineHost.Build(
            ["--AlertEngine:MetricsPort=0", $"--AlertEngine:GroupId={_group}", $"--Kafka:BootstrapServers={_kafka.BootstrapServers}", "--Kafka:CreateTopics=false",
                "--Kafka:ConsumerProperties:session.timeout.ms=6000"],
            services =>
            {
                services.AddSingleton(logs.Provider);
                services.AddSingleton(TimeProvider.System);
            });
        await engine.StartAsync();
        try
        {
            // Six minutes warm: the default rule's five are complete, so the batch raises an alert.
            await _kafka.SendAsync(Tenant, 1, Temperatures(Truck, 0, 6, _ => 9.5f));
            await Eventually.HoldsAsync(() => logs.Count("AlertWriteFailed") >= 2, Patience, "the engine to try the alert, be refused and try again");
            Assert.Contains(logs.Entries, e => e.Event == "AlertWriteFailed" && e.Message.Contains("alerts.acme does not exist", StringComparison.Ordinal));
            Assert.Equal(Offset.Unset, Committed());

            // The operator creates the topic: the alert the engine kept trying is written, and only
            // then is the record's offset committed.
            _kafka.Cluster.CreateTopic(TelemetryRecordHeaders.AlertTopic(Tenant), partitions: 1);
            await Eventually.HoldsAsync(() => _kafka.Alerts(Tenant).Count == 1, Patience, "the alert in the tenant's alert topic");
            await Eventually.HoldsAsync(() => Committed() == new Offset(1), Patience, "the record's offset committed once its alert was confirmed");
            var alert = Assert.Single(_kafka.Alerts(Tenant));
            Assert.Equal(Truck, alert.DeviceId);
            Assert.Equal(1ul, alert.SourceSequence);
        }
        finally
        {
            await engine.StopAsync();
        }
    }

    [Fact]
    public void Stopping_TheCheckpointStillWaitsOnceForTheAlertsSent()
    {
        // A clean stop checkpoints what it can: the alerts sent since the last checkpoint are waited
        // for once more, though the engine's stopping token is already cancelled.
        _kafka.Cluster.CreateTopic(TelemetryRecordHeaders.AlertTopic(Tenant), partitions: 1);
        var logs = new TestLogs();
        using var cluster = new KafkaCluster(Options.Create(new KafkaOptions { BootstrapServers = _kafka.BootstrapServers }), logs.For<KafkaCluster>(), _kafka.Cluster);
        using var alerts = new AlertProducer(cluster, logs.For<AlertProducer>());
        using var stopped = new CancellationTokenSource();
        stopped.Cancel();
        for (int i = 0; i < 20; i++)
        {
            alerts.Send(new Alert { AlertId = $"stop-{i}", TenantId = Tenant, DeviceId = Truck, RuleId = "reefer-too-warm", State = AlertState.Firing }, trace: null);
        }

        Assert.Equal(20, alerts.Unconfirmed);
        Assert.True(alerts.Confirm(stopped.Token));
        Assert.Equal(0, alerts.Unconfirmed);
        Assert.Equal(20, _kafka.Alerts(Tenant).Count);
    }

    private Offset Committed()
    {
        using var reader = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = _kafka.BootstrapServers, GroupId = _group }).Build();
        return reader.Committed([new TopicPartition(TelemetryRecordHeaders.TelemetryTopic(Tenant), 0)], TimeSpan.FromSeconds(10))[0].Offset;
    }
}
