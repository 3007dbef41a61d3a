using Confluent.Kafka;

namespace Convoy.TestKit;

/// <summary>Reads a whole topic back, every partition from the beginning to its end; writes telemetry as the collector does.</summary>
public static class KafkaTopics
{
    /// <summary>
    /// Writes batches to the tenant's telemetry topic exactly as the collector writes them (key =
    /// device, the tenant, device and sequence headers), without a collector: for consumers' tests
    /// that need a replay, a burst or a steady stream.
    /// </summary>
    public static void WriteTelemetry(string bootstrapServers, string tenant, IEnumerable<Contracts.Telemetry.V1.TelemetryBatch> batches)
    {
        using var producer = new ProducerBuilder<string, byte[]>(new ProducerConfig { BootstrapServers = bootstrapServers, LingerMs = 5 }).Build();
        foreach (var batch in batches)
        {
            var sequence = new byte[8];
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(sequence, batch.Sequence);
            producer.Produce(Contracts.TelemetryRecordHeaders.TelemetryTopic(tenant), new Message<string, byte[]>
            {
                Key = batch.DeviceId,
                Value = Google.Protobuf.MessageExtensions.ToByteArray(batch),
                Headers = new Headers
                {
                    { Contracts.TelemetryRecordHeaders.Tenant, System.Text.Encoding.UTF8.GetBytes(tenant) },
                    { Contracts.TelemetryRecordHeaders.Device, System.Text.Encoding.UTF8.GetBytes(batch.DeviceId) },
                    { Contracts.TelemetryRecordHeaders.Sequence, sequence },
                },
            });
        }

        producer.Flush(TimeSpan.FromSeconds(30));
    }

    /// <summary>Writes alerts to the tenant's alert topic as the alert engine does (key = device), and waits until Kafka has them.</summary>
    public static void WriteAlerts(string bootstrapServers, string tenant, IEnumerable<Contracts.Alerts.V1.Alert> alerts)
    {
        using var producer = new ProducerBuilder<string, byte[]>(new ProducerConfig { BootstrapServers = bootstrapServers, Acks = Acks.All }).Build();
        foreach (var alert in alerts)
        {
            producer.Produce(Contracts.TelemetryRecordHeaders.AlertTopic(tenant),
                new Message<string, byte[]> { Key = alert.DeviceId, Value = Google.Protobuf.MessageExtensions.ToByteArray(alert) });
        }

        Assert.Equal(0, producer.Flush(TimeSpan.FromSeconds(30)));
    }

    public static List<ConsumeResult<string, byte[]>> ReadAll(string bootstrapServers, string topic)
    {
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrapServers }).Build();
        var metadata = admin.GetMetadata(topic, TimeSpan.FromSeconds(10));
        var partitions = metadata.Topics.Single().Partitions;
        using var consumer = new ConsumerBuilder<string, byte[]>(new ConsumerConfig
        {
            BootstrapServers = bootstrapServers,
            GroupId = "test-reader-" + Guid.NewGuid().ToString("N"),
            EnablePartitionEof = true,
            EnableAutoCommit = false,
        }).Build();
        consumer.Assign(partitions.Select(p => new TopicPartitionOffset(topic, p.PartitionId, Offset.Beginning)));
        var records = new List<ConsumeResult<string, byte[]>>();
        var atEnd = new HashSet<int>();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (atEnd.Count < partitions.Count && DateTime.UtcNow < deadline)
        {
            var record = consumer.Consume(TimeSpan.FromMilliseconds(500));
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
                records.Add(record);
            }
        }

        Assert.True(atEnd.Count == partitions.Count, $"could not read {topic} to its end within 30 s");
        return records;
    }

    /// <summary>Every alert in the tenant's alert topic, read to its end.</summary>
    public static List<Contracts.Alerts.V1.Alert> Alerts(string bootstrapServers, string tenant) =>
        [.. ReadAll(bootstrapServers, Contracts.TelemetryRecordHeaders.AlertTopic(tenant)).Select(r => Contracts.Alerts.V1.Alert.Parser.ParseFrom(r.Message.Value))];

    public static ulong Sequence(ConsumeResult<string, byte[]> record) =>
        System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(record.Message.Headers.GetLastBytes(Contracts.TelemetryRecordHeaders.Sequence));

    public static string Header(ConsumeResult<string, byte[]> record, string name) =>
        System.Text.Encoding.UTF8.GetString(record.Message.Headers.GetLastBytes(name));
}
