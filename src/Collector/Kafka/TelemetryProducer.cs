using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using Confluent.Kafka;
using Convoy.Collector.Authentication;
using Convoy.Contracts;
using Convoy.Kafka;
using Convoy.Kafka.Native;
using Convoy.Tenancy;

namespace Convoy.Collector.Kafka;

/// <summary>
/// The process's one long-lived idempotent producer (acks=all). Writes a validated batch's bytes,
/// unchanged, to its tenant's topic keyed by device, with the identity headers (and the sender's,
/// when a partner writes for the device, and the batch's trace context when it is traced), through
/// librdkafka's C API (<see cref="RecordProducer"/>): the bytes are copied by librdkafka straight
/// from the received buffer, and the outcome reaches the stream's <see cref="IRecordDeliveryHandler"/>
/// with the batch's sequence, so a write allocates nothing.
/// </summary>
internal sealed unsafe class TelemetryProducer : IDisposable
{
    private static readonly RecordHeaderName Tenant = new(TelemetryRecordHeaders.Tenant);
    private static readonly RecordHeaderName Device = new(TelemetryRecordHeaders.Device);
    private static readonly RecordHeaderName Sequence = new(TelemetryRecordHeaders.Sequence);
    private static readonly RecordHeaderName Schema = new(TelemetryRecordHeaders.Schema);
    private static readonly RecordHeaderName ReceivedAt = new(TelemetryRecordHeaders.ReceivedAt);
    private static readonly RecordHeaderName Sender = new(TelemetryRecordHeaders.Sender);
    private static readonly RecordHeaderName TraceParentName = new(TraceParent.Header);
    private static readonly RecordHeaderName TraceStateName = new(TraceParent.StateHeader);
    private static readonly byte[] SchemaV1 = Encoding.UTF8.GetBytes(TelemetryRecordHeaders.SchemaTelemetryV1);
    private readonly RecordProducer _producer;
    private readonly KafkaCluster _cluster;

    public TelemetryProducer(KafkaCluster cluster, ILogger<TelemetryProducer> logger)
    {
        _cluster = cluster;
        _producer = new RecordProducer(cluster.CreateProducerConfig("convoy-collector"), logger);
    }

    /// <summary>Records written and not yet confirmed or refused.</summary>
    public int InFlight => _producer.InFlight;

    /// <summary>Creates the topic on first use (if Convoy creates topics) with the tenant's settings, or Kafka's defaults.</summary>
    public Task EnsureTopicAsync(string topic, TenantTopic? settings, CancellationToken cancellationToken) =>
        _cluster.EnsureTopicAsync(topic, settings?.Partitions, settings?.ReplicationFactor, cancellationToken);

    /// <summary>
    /// Queues one batch; <paramref name="onDelivered"/> is told, with <paramref name="token"/>, once
    /// Kafka confirmed or finally refused it (on the producer's delivery thread).
    /// With <paramref name="trace"/> (the collector's span for the batch), the record carries its
    /// context in <see cref="TraceParent.Header"/> (and <see cref="TraceParent.StateHeader"/> when
    /// it has a trace state), so the alert engine's span for the record continues the trace.
    /// Returns NoError, or why librdkafka refused it locally (then nothing was queued).
    /// </summary>
    public ErrorCode Produce(string topic, AuthenticatedDevice device, ulong sequence, ReadOnlySpan<byte> batch, long receivedAtMs, IRecordDeliveryHandler onDelivered, long token,
        Activity? trace = null)
    {
        Span<byte> sequenceBytes = stackalloc byte[8];
        Span<byte> receivedBytes = stackalloc byte[8];
        Span<byte> traceparentBytes = stackalloc byte[TraceParent.Length];
        BinaryPrimitives.WriteUInt64BigEndian(sequenceBytes, sequence);
        BinaryPrimitives.WriteUInt64BigEndian(receivedBytes, (ulong)receivedAtMs);
        // Only a traced batch (tracing on) pays for its trace state's bytes.
        byte[]? traceState = trace?.TraceStateString is { Length: > 0 } state ? Encoding.UTF8.GetBytes(state) : null;
        fixed (byte* tenant = device.TenantUtf8, id = device.DeviceUtf8, s = sequenceBytes, received = receivedBytes, schema = SchemaV1, sender = device.SenderUtf8,
            traceparent = traceparentBytes, tracestate = traceState)
        {
            Span<RecordHeader> headers = stackalloc RecordHeader[8];
            headers[0] = new(Tenant, tenant, device.TenantUtf8.Length);
            headers[1] = new(Device, id, device.DeviceUtf8.Length);
            headers[2] = new(Sequence, s, 8);
            headers[3] = new(Schema, schema, SchemaV1.Length);
            headers[4] = new(ReceivedAt, received, 8);
            int count = 5;
            if (device.SenderUtf8 is { } senderUtf8)
            {
                // A partner writing for the device: its own sequence space (absent for the device itself).
                headers[count++] = new(Sender, sender, senderUtf8.Length);
            }

            if (trace is not null)
            {
                headers[count++] = new(TraceParentName, traceparent, TraceParent.Write(trace.Context, traceparentBytes));
                if (traceState is not null)
                {
                    headers[count++] = new(TraceStateName, tracestate, traceState.Length);
                }
            }

            return _producer.Produce(topic, device.KafkaKeyUtf8, batch, 0, headers[..count], onDelivered, token);
        }
    }

    /// <summary>Waits until every queued record was confirmed or refused; false when <paramref name="timeout"/> passed first.</summary>
    public bool Flush(TimeSpan timeout) => _producer.Flush(timeout);

    public void Dispose() => _producer.Dispose();
}
