using Convoy.Contracts;
using Convoy.Contracts.Alerts.V1;
using Convoy.Contracts.Telemetry.V1;

namespace Convoy.EndToEnd.Tests;

/// <summary>The collector's shared-topic mode: every tenant in one topic, tenant in key and header; the engine still alerts per tenant.</summary>
public sealed class SharedTopicTests : IAsyncLifetime
{
    private const string Tenant = "shared-co";
    private readonly string _topic = "telemetry-shared-" + Guid.NewGuid().ToString("N")[..8];
    private TestCollector _collector = null!;
    private TestAlertEngine _engine = null!;

    public async Task InitializeAsync()
    {
        _collector = await TestCollector.StartAsync(new TestCollectorSetup
        {
            Topics = [(_topic, 2), (TelemetryRecordHeaders.AlertTopic(Tenant), 1)],
            Switches = ["--Collector:TopicMode=Shared", $"--Collector:SharedTopic={_topic}"],
        });
        _engine = await TestAlertEngine.StartAsync(_collector.Kafka, time: null, $"--AlertEngine:TopicPattern=^{_topic}$");
    }

    public async Task DisposeAsync()
    {
        await _engine.DisposeAsync();
        await _collector.DisposeAsync();
    }

    [Fact]
    public async Task SharedTopic_KeysByTenantAndDevice_AndAlertsStillGoToTheTenant()
    {
        using var device = _collector.Device(Tenant, "truck-1");

        await device.SendAsync(WarmBatch());

        var record = Assert.Single(KafkaTopics.ReadAll(_collector.Kafka.BootstrapServers, _topic));
        Assert.Equal("shared-co/truck-1", record.Message.Key);
        Assert.Equal(Tenant, KafkaTopics.Header(record, TelemetryRecordHeaders.Tenant));
        Alert? alert = null;
        await Eventually.HoldsAsync(() =>
        {
            alert = KafkaTopics.ReadAll(_collector.Kafka.BootstrapServers, TelemetryRecordHeaders.AlertTopic(Tenant))
                .Select(r => Alert.Parser.ParseFrom(r.Message.Value)).FirstOrDefault();
            return alert is not null;
        }, TimeSpan.FromSeconds(30), "an alert for the shared topic's tenant");
        Assert.Equal(Tenant, alert!.TenantId);
        Assert.Equal("truck-1", alert.DeviceId);
    }

    /// <summary>Ten minutes at 9 °C in zone 1, ending a minute ago.</summary>
    private static TelemetryBatch WarmBatch() =>
        BatchBuilder.For("truck-1").StartingAgo(TimeSpan.FromMinutes(11)).Every(TimeSpan.FromMinutes(1)).Temperatures(zone: 1, count: 11, _ => 9f);
}
