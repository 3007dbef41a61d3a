using Convoy.Kafka.Embedded;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;

namespace Convoy.Kafka.Tests;

/// <summary>
/// Topic creation on Apache Kafka (Kafka:CreateTopics, the default): a topic that exists is found
/// in the cluster's metadata and no CreateTopics request is sent, so a broker that refuses or does
/// not implement it (librdkafka's mock, here reached as an external cluster) keeps no stream waiting.
/// </summary>
public sealed class TopicCreationTests
{
    [Fact]
    public async Task ExistingTopic_IsFoundInTheMetadata_AndNotCreatedAgain()
    {
        using var brokers = EmbeddedKafkaCluster.Start();
        Assert.True(brokers.CreateTopic("telemetry.acme", partitions: 3));
        var logger = new FakeLogger<KafkaCluster>();
        using var cluster = new KafkaCluster(Options.Create(new KafkaOptions { BootstrapServers = brokers.BootstrapServers }), logger);

        await cluster.EnsureTopicAsync("telemetry.acme");
        await cluster.EnsureTopicAsync("telemetry.acme");

        var events = logger.Collector.GetSnapshot().Select(static r => r.Id.Name).ToList();
        // Looked for once (then remembered), found, and neither created nor tried.
        Assert.Equal(["TopicFound"], events.Where(static e => e is "TopicFound" or "TopicCreated" or "TopicNotCreated"));
    }

    [Fact]
    public async Task MissingTopic_ThatConvoyMayNotCreate_IsOneClearError_UntilAnOperatorCreatesIt()
    {
        using var brokers = EmbeddedKafkaCluster.Start();
        var logger = new FakeLogger<KafkaCluster>();
        using var cluster = new KafkaCluster(Options.Create(new KafkaOptions { BootstrapServers = brokers.BootstrapServers, CreateTopics = false }), logger);

        var missing = await Assert.ThrowsAsync<KafkaTopicMissingException>(() => cluster.EnsureTopicAsync("telemetry.acme"));
        Assert.Equal("telemetry.acme", missing.Topic);
        Assert.Equal($"Kafka topic telemetry.acme does not exist at {brokers.BootstrapServers}: Kafka:CreateTopics is false, so Convoy does not create topics; create it with the tenant's partitions and retention",
            missing.Message);
        // Every other writer in the next seconds gets the same error, without asking the cluster again.
        await Assert.ThrowsAsync<KafkaTopicMissingException>(() => cluster.EnsureTopicAsync("telemetry.acme"));
        Assert.Equal(1, logger.Collector.GetSnapshot().Count(static r => r.Id.Name == "TopicMissing"));

        // An operator creates it: the next writer after the retry interval finds it.
        Assert.True(brokers.CreateTopic("telemetry.acme", partitions: 3));
        var deadline = DateTime.UtcNow + (KafkaCluster.MissingTopicRetry * 4);
        while (true)
        {
            try
            {
                await cluster.EnsureTopicAsync("telemetry.acme");
                break;
            }
            catch (KafkaTopicMissingException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }
        }

        Assert.Contains(logger.Collector.GetSnapshot(), static r => r.Id.Name == "TopicFound");
    }
}
