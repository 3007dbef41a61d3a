using System.Buffers.Binary;
using System.Text;
using Confluent.Kafka;
using Convoy.Collector.Authentication;
using Convoy.Contracts;
using Convoy.Kafka;
using Microsoft.Extensions.Logging;

namespace Convoy.Collector.Kafka;

/// <summary>
/// The process's one long-lived idempotent producer (acks=all). Writes a validated batch's bytes,
/// unchanged, to its tenant's topic keyed by device, and reports delivery through a handler
/// rather than a task per record (confluent-kafka-dotnet #1778).
/// </summary>
internal sealed class TelemetryProducer : IDisposable
{
    private static readonly byte[] SchemaV1 = Encoding.UTF8.GetBytes(TelemetryRecordHeaders.SchemaTelemetryV1);
    private readonly IProducer<string, byte[]> _producer;
    private readonly KafkaCluster _cluster;

    public TelemetryProducer(KafkaCluster cluster, ILogger<TelemetryProducer> logger)
    {
        _cluster = cluster;
        _producer = new ProducerBuilder<string, byte[]>(cluster.CreateProducerConfig("convoy-collector"))
            .SetErrorHandler((_, error) => CollectorLog.KafkaProducerError(logger, error.Reason))
            .SetLogHandler((_, _) => { })
            .Build();
    }

    public Task EnsureTopicAsync(string topic, CancellationToken cancellationToken) => _cluster.EnsureTopicAsync(topic, cancellationToken);

    /// <summary>
    /// Queues one batch. <paramref name="onDelivered"/> runs on the producer's delivery thread once
    /// Kafka confirmed or finally refused the write.
    /// </summary>
    public void Produce(string topic, AuthenticatedDevice device, ulong sequence, byte[] batch, long receivedAtMs, Action<DeliveryReport<string, byte[]>> onDelivered)
    {
        // librdkafka copies headers and value during Produce; the identity arrays are the
        // stream's own, shared by all its records.
        var headers = new Headers
        {
            { TelemetryRecordHeaders.Tenant, device.TenantUtf8 },
            { TelemetryRecordHeaders.Device, device.DeviceUtf8 },
            { TelemetryRecordHeaders.Sequence, BigEndian(sequence) },
            { TelemetryRecordHeaders.Schema, SchemaV1 },
            { TelemetryRecordHeaders.ReceivedAt, BigEndian((ulong)receivedAtMs) },
        };
        _producer.Produce(topic, new Message<string, byte[]> { Key = device.KafkaKey, Value = batch, Headers = headers }, onDelivered);
    }

    /// <summary>The sequence header of a record this producer wrote.</summary>
    public static ulong SequenceOf(Message<string, byte[]> message) =>
        message.Headers.TryGetLastBytes(TelemetryRecordHeaders.Sequence, out byte[] value) ? BinaryPrimitives.ReadUInt64BigEndian(value) : 0;

    private static byte[] BigEndian(ulong value)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, value);
        return bytes;
    }

    public void Dispose()
    {
        _producer.Flush(TimeSpan.FromSeconds(10));
        _producer.Dispose();
    }
}
