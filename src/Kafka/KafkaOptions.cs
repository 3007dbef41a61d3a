using System.ComponentModel.DataAnnotations;
using System.Text.RegularExpressions;
using Convoy.OptionsValidation;
using Microsoft.Extensions.Options;

namespace Convoy.Kafka;

/// <summary>
/// Where Kafka is and how to talk to it. Configuration section <c>Kafka</c>.
/// With no <see cref="BootstrapServers"/>, the process starts the embedded (in-memory) cluster.
/// </summary>
public sealed partial class KafkaOptions : IValidatableObject
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

    /// <summary>
    /// Run the embedded in-memory cluster outside the Development environment, knowingly: without
    /// it, an empty <see cref="BootstrapServers"/> there is an error (<see cref="EmbeddedClusterPolicy"/>),
    /// because the programs would acknowledge data that a restart loses.
    /// </summary>
    public bool Embedded { get; set; }

    /// <summary>Brokers of the embedded cluster, 1..9. Ignored when <see cref="BootstrapServers"/> is set.</summary>
    [SettingRange("Kafka:EmbeddedBrokers", 1, 9)]
    public int EmbeddedBrokers { get; set; } = 1;

    /// <summary>Partitions of a topic Convoy creates (e.g. <c>telemetry.&lt;tenant&gt;</c>), 1..10000.</summary>
    [SettingRange("Kafka:TopicPartitions", 1, 10000)]
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

    /// <summary>The rules that span settings (the simple ones are attributes, checked by <see cref="KafkaOptionsValidator"/>).</summary>
    IEnumerable<ValidationResult> IValidatableObject.Validate(ValidationContext validationContext)
    {
        if (TopicReplicationFactor is 0 or < -1)
        {
            yield return Invalid("Kafka:TopicReplicationFactor", $"must be -1 (broker default) or >= 1, was {TopicReplicationFactor}");
        }

        if (!UsesEmbeddedCluster && !BootstrapPattern().IsMatch(BootstrapServers!))
        {
            yield return Invalid("Kafka:BootstrapServers", $"must be a comma-separated list of host:port, was '{BootstrapServers}'");
        }

        foreach (var failure in InvalidProperties("Properties", Properties)
            .Concat(InvalidProperties("ProducerProperties", ProducerProperties))
            .Concat(InvalidProperties("ConsumerProperties", ConsumerProperties)))
        {
            yield return failure;
        }
    }

    [GeneratedRegex(@"^\s*[^,:\s]+:\d{1,5}\s*(,\s*[^,:\s]+:\d{1,5}\s*)*$")]
    private static partial Regex BootstrapPattern();

    private static ValidationResult Invalid(string key, string reason) => new($"Configuration '{key}' {reason}.");

    private static IEnumerable<ValidationResult> InvalidProperties(string section, Dictionary<string, string> properties)
    {
        foreach (var (key, value) in properties)
        {
            if (key is "bootstrap.servers")
            {
                yield return Invalid($"Kafka:{section}:bootstrap.servers", "set Kafka:BootstrapServers instead");
            }
            else if (string.IsNullOrEmpty(value))
            {
                yield return Invalid($"Kafka:{section}:{key}", "has no value");
            }
            else if (Native.ProducerNative.Refuses(key, value) is { } why)
            {
                // librdkafka's own words, at start rather than when the first client is made.
                yield return Invalid($"Kafka:{section}:{key}", $"is refused by librdkafka: {why.Trim().TrimEnd('.')} (its settings are listed in librdkafka's CONFIGURATION.md)");
            }
        }
    }
}

/// <summary>Checks <see cref="KafkaOptions"/>: its attributes and its <see cref="IValidatableObject"/> rules, generated (no reflection).</summary>
[OptionsValidator]
internal sealed partial class KafkaOptionsValidator : IValidateOptions<KafkaOptions>;
