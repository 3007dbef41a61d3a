using System.Buffers.Binary;
using System.Text;
using Confluent.Kafka;
using Convoy.Contracts;
using Convoy.Contracts.Alerts.V1;
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

    /// <summary>Every alert in the tenant's alert topic (its <paramref name="partitions"/> partitions), read to the end.</summary>
    public static Task<List<Alert>> ReadAlertsAsync(string bootstrapServers, string tenant, int partitions = 1) => Task.Run(() =>
    {
        using var consumer = new ConsumerBuilder<string, byte[]>(new ConsumerConfig
        {
            BootstrapServers = bootstrapServers,
            GroupId = "reader-" + Guid.NewGuid().ToString("N"),
            EnablePartitionEof = true,
            EnableAutoCommit = false,
        }).Build();
        string topic = TelemetryRecordHeaders.AlertTopic(tenant);
        consumer.Assign(Enumerable.Range(0, partitions).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        var alerts = new List<Alert>();
        var atEnd = new HashSet<int>();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (atEnd.Count < partitions && DateTime.UtcNow < deadline)
        {
            var record = consumer.Consume(TimeSpan.FromMilliseconds(200));
            if (record is null)
            {
                continue;
            }

            if (record.IsPartitionEOF)
            {
                atEnd.Add(record.Partition.Value);
            }
            else
            {
                alerts.Add(Alert.Parser.ParseFrom(record.Message.Value));
            }
        }

        return alerts;
    });
}
