using System.Collections.Concurrent;
using Confluent.Kafka;
using Convoy.Kafka.Embedded;

namespace Convoy.Kafka.Tests;

/// <summary>A full local queue makes the write wait for room, not fail; every other refusal still throws.</summary>
public sealed class ProducerBackpressureTests : IDisposable
{
    private readonly EmbeddedKafkaCluster _cluster = EmbeddedKafkaCluster.Start();

    public void Dispose() => _cluster.Dispose();

    [Fact]
    public void ProduceWhenRoom_QueueHoldsTwoRecords_AllHundredLandInOrder()
    {
        string topic = "room-" + Guid.NewGuid().ToString("N");
        _cluster.CreateTopic(topic, partitions: 1);
        using var producer = Producer(maxQueued: 2);
        var delivered = new ConcurrentQueue<DeliveryReport<Null, string>>();

        // Without waiting for room, the third record is refused with Local_QueueFull.
        producer.Produce(topic, new Message<Null, string> { Value = "probe-1" });
        producer.Produce(topic, new Message<Null, string> { Value = "probe-2" });
        var full = Assert.Throws<ProduceException<Null, string>>(() => producer.Produce(topic, new Message<Null, string> { Value = "probe-3" }));
        Assert.Equal(ErrorCode.Local_QueueFull, full.Error.Code);
        producer.Flush(TimeSpan.FromSeconds(20));

        for (int i = 0; i < 100; i++)
        {
            producer.ProduceWhenRoom(topic, new Message<Null, string> { Value = $"reading-{i}" }, delivered.Enqueue);
        }

        Assert.Equal(0, producer.Flush(TimeSpan.FromSeconds(20)));
        Assert.Equal(100, delivered.Count);
        Assert.All(delivered, d => Assert.False(d.Error.IsError, d.Error.Reason));
        Assert.Equal(Enumerable.Range(0, 100).Select(i => $"reading-{i}"), Read(topic).Skip(2).Take(100));
    }

    [Fact]
    public void ProduceWhenRoom_OtherRefusals_AreThrown()
    {
        using var producer = Producer(maxQueued: 10);
        var tooLarge = new Message<Null, string> { Value = new string('x', 2_000_000) };

        var refused = Assert.Throws<ProduceException<Null, string>>(() => producer.ProduceWhenRoom("any-topic", tooLarge, _ => { }));

        Assert.Equal(ErrorCode.MsgSizeTooLarge, refused.Error.Code);
    }

    private IProducer<Null, string> Producer(int maxQueued) =>
        new ProducerBuilder<Null, string>(new ProducerConfig
        {
            BootstrapServers = _cluster.BootstrapServers,
            QueueBufferingMaxMessages = maxQueued,
            LingerMs = 50,
            MessageMaxBytes = 1_000_000,
        }).Build();

    private List<string> Read(string topic)
    {
        using var consumer = new ConsumerBuilder<Null, string>(new ConsumerConfig
        {
            BootstrapServers = _cluster.BootstrapServers,
            GroupId = "room-" + Guid.NewGuid().ToString("N"),
            AutoOffsetReset = AutoOffsetReset.Earliest,
        }).Build();
        consumer.Assign(new TopicPartitionOffset(topic, 0, Offset.Beginning));
        var values = new List<string>();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (values.Count < 102 && DateTime.UtcNow < deadline)
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is { } record)
            {
                values.Add(record.Message.Value);
            }
        }

        return values;
    }
}
