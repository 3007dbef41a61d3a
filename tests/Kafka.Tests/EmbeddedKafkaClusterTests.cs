using Confluent.Kafka;
using Convoy.Kafka.Embedded;

namespace Convoy.Kafka.Tests;

public sealed class EmbeddedKafkaClusterTests : IDisposable
{
    private readonly EmbeddedKafkaCluster _cluster = EmbeddedKafkaCluster.Start(brokerCount: 3);

    public void Dispose() => _cluster.Dispose();

    [Fact]
    public void Start_ReportsOneLoopbackAddressPerBroker()
    {
        string[] brokers = _cluster.BootstrapServers.Split(',');

        Assert.Equal(3, brokers.Length);
        Assert.All(brokers, b => Assert.StartsWith("127.0.0.1:", b, StringComparison.Ordinal));
    }

    [Fact]
    public void CreateTopic_HasTheRequestedPartitions()
    {
        string topic = UniqueTopic();

        bool created = _cluster.CreateTopic(topic, partitions: 6, replicationFactor: 3);
        bool createdAgain = _cluster.CreateTopic(topic, partitions: 6);

        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = _cluster.BootstrapServers }).Build();
        var metadata = admin.GetMetadata(topic, TimeSpan.FromSeconds(10));
        Assert.True(created);
        Assert.False(createdAgain);
        var described = Assert.Single(metadata.Topics);
        Assert.Equal(ErrorCode.NoError, described.Error.Code);
        Assert.Equal(6, described.Partitions.Count);
        Assert.All(described.Partitions, p => Assert.Equal(3, p.Replicas.Length));
    }

    [Fact]
    public async Task Consumer_ReadsBackWhatTheProducerWrote()
    {
        string topic = UniqueTopic();
        _cluster.CreateTopic(topic, partitions: 2);
        using var producer = new ProducerBuilder<string, string>(new ProducerConfig
        {
            BootstrapServers = _cluster.BootstrapServers,
            Acks = Acks.All,
            EnableIdempotence = true,
        }).Build();

        var written = new List<(string Key, string Value)>();
        for (int i = 0; i < 20; i++)
        {
            var message = new Message<string, string> { Key = $"truck-{i % 3}", Value = $"reading-{i}" };
            var result = await producer.ProduceAsync(topic, message);
            Assert.Equal(PersistenceStatus.Persisted, result.Status);
            written.Add((message.Key, message.Value));
        }

        using var consumer = new ConsumerBuilder<string, string>(new ConsumerConfig
        {
            BootstrapServers = _cluster.BootstrapServers,
            GroupId = "read-back-" + topic,
            AutoOffsetReset = AutoOffsetReset.Earliest,
        }).Build();
        consumer.Subscribe(topic);
        var read = new List<(string Key, string Value)>();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (read.Count < written.Count && DateTime.UtcNow < deadline)
        {
            var record = consumer.Consume(TimeSpan.FromMilliseconds(500));
            if (record is not null)
            {
                read.Add((record.Message.Key, record.Message.Value));
            }
        }

        consumer.Close();
        Assert.Equal(written.OrderBy(w => w.Value, StringComparer.Ordinal), read.OrderBy(r => r.Value, StringComparer.Ordinal));
        // Per key, the order of writes is kept (same key, same partition).
        foreach (var key in written.Select(w => w.Key).Distinct())
        {
            Assert.Equal(written.Where(w => w.Key == key), read.Where(r => r.Key == key));
        }
    }

    [Fact]
    public async Task Produce_WithEveryBrokerDown_DoesNotReportSuccess()
    {
        string topic = UniqueTopic();
        _cluster.CreateTopic(topic, partitions: 1);
        using var producer = new ProducerBuilder<Null, string>(new ProducerConfig
        {
            BootstrapServers = _cluster.BootstrapServers,
            Acks = Acks.All,
            EnableIdempotence = true,
            MessageTimeoutMs = 3_000,
        }).Build();
        await producer.ProduceAsync(topic, new Message<Null, string> { Value = "before" });

        _cluster.SetBrokerDown();
        var failure = await Assert.ThrowsAsync<ProduceException<Null, string>>(
            () => producer.ProduceAsync(topic, new Message<Null, string> { Value = "while down" }));

        Assert.NotEqual(PersistenceStatus.Persisted, failure.DeliveryResult.Status);
        Assert.Equal(ErrorCode.Local_MsgTimedOut, failure.Error.Code);

        _cluster.SetBrokerUp();
        var after = await producer.ProduceAsync(topic, new Message<Null, string> { Value = "after" });
        Assert.Equal(PersistenceStatus.Persisted, after.Status);
    }

    [Fact]
    public async Task Produce_WithInjectedRequestErrors_RetriesAndThenSucceeds()
    {
        string topic = UniqueTopic();
        _cluster.CreateTopic(topic, partitions: 1);
        using var producer = new ProducerBuilder<Null, string>(new ProducerConfig
        {
            BootstrapServers = _cluster.BootstrapServers,
            Acks = Acks.All,
            EnableIdempotence = true,
            MessageTimeoutMs = 20_000,
        }).Build();
        await producer.ProduceAsync(topic, new Message<Null, string> { Value = "warm-up" });

        _cluster.PushRequestErrors(KafkaApiKey.Produce, ErrorCode.NotEnoughReplicas, ErrorCode.NotEnoughReplicas);
        var result = await producer.ProduceAsync(topic, new Message<Null, string> { Value = "after retries" });

        Assert.Equal(PersistenceStatus.Persisted, result.Status);
        Assert.Equal(1, result.Offset.Value);
    }

    [Fact]
    public async Task Produce_WithNonRetriableInjectedError_FailsWithThatError()
    {
        string topic = UniqueTopic();
        _cluster.CreateTopic(topic, partitions: 1);
        using var producer = new ProducerBuilder<Null, string>(new ProducerConfig
        {
            BootstrapServers = _cluster.BootstrapServers,
            Acks = Acks.All,
            MessageTimeoutMs = 10_000,
        }).Build();
        await producer.ProduceAsync(topic, new Message<Null, string> { Value = "warm-up" });

        _cluster.PushRequestErrors(KafkaApiKey.Produce, ErrorCode.MsgSizeTooLarge);
        var failure = await Assert.ThrowsAsync<ProduceException<Null, string>>(
            () => producer.ProduceAsync(topic, new Message<Null, string> { Value = "refused" }));

        Assert.Equal(ErrorCode.MsgSizeTooLarge, failure.Error.Code);
    }

    private static string UniqueTopic() => "test." + Guid.NewGuid().ToString("N");
}
