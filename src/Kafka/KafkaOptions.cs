using System.Text.RegularExpressions;

namespace Convoy.Kafka;

/// <summary>
/// Where Kafka is and how to talk to it. Configuration section <c>Kafka</c>.
/// With no <see cref="BootstrapServers"/>, the process starts the embedded (in-memory) cluster.
/// </summary>
public sealed partial class KafkaOptions
{
    public const string SectionName = "Kafka";

    /// <summary>
    /// librdkafka's bootstrap.servers, e.g. <c>kafka-1:9092,kafka-2:9092</c>. Empty: start the
    /// embedded cluster in this process (development only: data in memory).
    /// </summary>
    public string? BootstrapServers { get; set; }

    /// <summary>
    /// Any librdkafka setting, passed through unchanged to every producer, consumer and admin
    /// client, e.g. <c>security.protocol</c>, <c>sasl.mechanism</c>, <c>linger.ms</c>. They win over
    /// Convoy's own defaults.
    /// </summary>
    public Dictionary<string, string> Properties { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// librdkafka settings for producers only (e.g. <c>linger.ms</c>, <c>compression.type</c>),
    /// after <see cref="Properties"/>. A producer setting given to a consumer is ignored by
    /// librdkafka with a CONFWARN in the log, and the other way round: this keeps logs clean.
    /// </summary>
    public Dictionary<string, string> ProducerProperties { get; } = new(StringComparer.Ordinal);

    /// <summary>librdkafka settings for consumers only (e.g. <c>fetch.wait.max.ms</c>, <c>session.timeout.ms</c>), after <see cref="Properties"/>.</summary>
    public Dictionary<string, string> ConsumerProperties { get; } = new(StringComparer.Ordinal);

    /// <summary>Brokers of the embedded cluster, 1..9. Ignored when <see cref="BootstrapServers"/> is set.</summary>
    public int EmbeddedBrokers { get; set; } = 1;

    /// <summary>Partitions of a topic Convoy creates (e.g. <c>telemetry.&lt;tenant&gt;</c>), 1..10000.</summary>
    public int TopicPartitions { get; set; } = 4;

    /// <summary>Replication factor of a topic Convoy creates; -1 takes the broker's default.</summary>
    public short TopicReplicationFactor { get; set; } = -1;

    /// <summary>
    /// Create missing topics through the admin API. Off for clusters where only operators create
    /// topics: then a missing topic is an error that names it.
    /// </summary>
    public bool CreateTopics { get; set; } = true;

    /// <summary>True when no broker is configured and the embedded cluster is used.</summary>
    public bool UsesEmbeddedCluster => string.IsNullOrWhiteSpace(BootstrapServers);

    /// <summary>Throws naming the bad key and why.</summary>
    public void Validate()
    {
        if (EmbeddedBrokers is < 1 or > 9)
        {
            throw Invalid("Kafka:EmbeddedBrokers", $"must be 1..9, was {EmbeddedBrokers}");
        }

        if (TopicPartitions is < 1 or > 10000)
        {
            throw Invalid("Kafka:TopicPartitions", $"must be 1..10000, was {TopicPartitions}");
        }

        if (TopicReplicationFactor is 0 or < -1)
        {
            throw Invalid("Kafka:TopicReplicationFactor", $"must be -1 (broker default) or >= 1, was {TopicReplicationFactor}");
        }

        if (!UsesEmbeddedCluster && !BootstrapPattern().IsMatch(BootstrapServers!))
        {
            throw Invalid("Kafka:BootstrapServers", $"must be a comma-separated list of host:port, was '{BootstrapServers}'");
        }

        ValidateProperties("Properties", Properties);
        ValidateProperties("ProducerProperties", ProducerProperties);
        ValidateProperties("ConsumerProperties", ConsumerProperties);
    }

    [GeneratedRegex(@"^\s*[^,:\s]+:\d{1,5}\s*(,\s*[^,:\s]+:\d{1,5}\s*)*$")]
    private static partial Regex BootstrapPattern();

    private static Microsoft.Extensions.Options.OptionsValidationException Invalid(string key, string reason) =>
        new(key, typeof(KafkaOptions), [$"Configuration '{key}' {reason}."]);

    private static void ValidateProperties(string section, Dictionary<string, string> properties)
    {
        foreach (var (key, value) in properties)
        {
            if (key is "bootstrap.servers")
            {
                throw Invalid($"Kafka:{section}:bootstrap.servers", "set Kafka:BootstrapServers instead");
            }

            if (string.IsNullOrEmpty(value))
            {
                throw Invalid($"Kafka:{section}:{key}", "has no value");
            }
        }
    }
}
