using System.Text;
using Confluent.Kafka;
using Convoy.Contracts;
using Convoy.Contracts.Alerts.V1;
using Convoy.Kafka;
using Google.Protobuf;

namespace Convoy.FleetHistory.Query;

/// <summary>
/// Writes AlertAcknowledged events to the tenant's <c>alerts.&lt;tenant&gt;</c>, keyed by device like
/// the alert (so the event follows its alert in the same partition), with the
/// <see cref="AlertRecordHeaders.Record"/> header that tells alert consumers to pass it over. One
/// idempotent producer for the process, configured by <see cref="KafkaCluster"/> as every Convoy
/// producer is (acks=all, Kafka:ProducerProperties), as the alert engine's AlertProducer.
/// </summary>
internal sealed class AcknowledgementWriter : IDisposable
{
    private static readonly byte[] Kind = Encoding.UTF8.GetBytes(AlertRecordHeaders.AlertAcknowledged);
    private readonly KafkaCluster _cluster;
    private readonly IProducer<string, byte[]> _producer;

    public AcknowledgementWriter(KafkaCluster cluster, ILogger<AcknowledgementWriter> logger)
    {
        _cluster = cluster;
        // Acknowledgements are few and waited for: no lingering.
        _producer = new ProducerBuilder<string, byte[]>(cluster.CreateProducerConfig("convoy-fleet-history", lingerMs: 0))
            .SetErrorHandler((_, error) => FleetHistoryLog.ProducerError(logger, error.Reason))
            .SetLogHandler(static (_, _) => { })
            .Build();
    }

    /// <summary>Writes the event and returns once Kafka confirmed it; throws <see cref="KafkaException"/> when it did not.</summary>
    public async Task WriteAsync(AlertAcknowledged acknowledged, CancellationToken cancellationToken)
    {
        string topic = TelemetryRecordHeaders.AlertTopic(acknowledged.TenantId);
        await _cluster.EnsureTopicAsync(topic, cancellationToken);
        await _producer.ProduceAsync(topic, new Message<string, byte[]>
        {
            Key = acknowledged.DeviceId,
            Value = acknowledged.ToByteArray(),
            Headers = new Headers { { AlertRecordHeaders.Record, Kind } },
        }, cancellationToken);
    }

    public void Dispose()
    {
        _producer.Flush(TimeSpan.FromSeconds(10));
        _producer.Dispose();
    }
}
