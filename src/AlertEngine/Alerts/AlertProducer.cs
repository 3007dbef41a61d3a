using Confluent.Kafka;
using Convoy.Contracts;
using Convoy.Contracts.Alerts.V1;
using Convoy.Kafka;
using Google.Protobuf;

namespace Convoy.AlertEngine.Alerts;

/// <summary>Writes alerts to <c>alerts.&lt;tenant&gt;</c>, keyed by device, with the process's one idempotent producer.</summary>
internal sealed class AlertProducer : IDisposable
{
    private readonly IProducer<string, byte[]> _producer;
    private readonly KafkaCluster _cluster;

    public AlertProducer(KafkaCluster cluster, ILogger<AlertProducer> logger)
    {
        _cluster = cluster;
        _producer = new ProducerBuilder<string, byte[]>(cluster.CreateProducerConfig("convoy-alert-engine", lingerMs: 1))
            .SetErrorHandler((_, error) => AlertEngineLog.ConsumeFailed(logger, "alert producer: " + error.Reason))
            .SetLogHandler((_, _) => { })
            .Build();
    }

    /// <summary>Writes one alert and returns once Kafka confirmed it (or throws).</summary>
    public async Task WriteAsync(Alert alert, CancellationToken cancellationToken)
    {
        string topic = TelemetryRecordHeaders.AlertTopic(alert.TenantId);
        await _cluster.EnsureTopicAsync(topic, cancellationToken);
        await _producer.ProduceAsync(topic, new Message<string, byte[]> { Key = alert.DeviceId, Value = alert.ToByteArray() }, cancellationToken);
    }

    public void Dispose()
    {
        _producer.Flush(TimeSpan.FromSeconds(10));
        _producer.Dispose();
    }
}
