using System.Buffers.Binary;
using System.Text;
using Confluent.Kafka;
using Convoy.Contracts;
using Convoy.Contracts.Telemetry.V1;
using Google.Protobuf;

namespace Convoy.AlertEngine.Tests;

/// <summary>What the tests that run the real engine on the embedded Kafka share: writing telemetry as the collector does, reading alerts back, waiting.</summary>
internal static class EngineOnKafka
{
    /// <summary>How long a test waits for the engine on Kafka to do something (a consumer group join takes seconds on a busy machine).</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    /// <summary>Writes <paramref name="batch"/> (its sequence set to <paramref name="sequence"/>) to the tenant's telemetry topic with the collector's headers.</summary>
    public static async Task SendAsync(IProducer<string, byte[]> producer, string tenant, ulong sequence, TelemetryBatch batch)
    {
        batch.Sequence = sequence;
        var header = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(header, sequence);
        await producer.ProduceAsync(TelemetryRecordHeaders.TelemetryTopic(tenant), new Message<string, byte[]>
        {
            Key = batch.DeviceId,
            Value = batch.ToByteArray(),
            Headers = new Headers
            {
                { TelemetryRecordHeaders.Tenant, Encoding.UTF8.GetBytes(tenant) },
                { TelemetryRecordHeaders.Device, Encoding.UTF8.GetBytes(batch.DeviceId) },
                { TelemetryRecordHeaders.Sequence, header },
            },
        });
    }
}
