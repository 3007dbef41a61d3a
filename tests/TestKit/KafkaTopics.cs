using Confluent.Kafka;

namespace Convoy.TestKit;

/// <summary>Reads a whole topic back, every partition from the beginning to its end.</summary>
public static class KafkaTopics
{
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
