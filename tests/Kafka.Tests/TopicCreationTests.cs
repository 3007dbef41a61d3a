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
}
