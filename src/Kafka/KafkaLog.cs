using Microsoft.Extensions.Logging;

namespace Convoy.Kafka;

internal static partial class KafkaLog
{
    [LoggerMessage(EventId = 100, EventName = "EmbeddedKafkaStarted", Level = LogLevel.Warning,
        Message = "Embedded Kafka started at {BootstrapServers} with {Brokers} broker(s): librdkafka's mock cluster, IN MEMORY ONLY. Everything is lost when this process exits, and old batches are dropped beyond 5 MB per partition. For real use set Kafka:BootstrapServers to an Apache Kafka cluster.")]
    public static partial void EmbeddedClusterStarted(ILogger logger, string bootstrapServers, int brokers);

    [LoggerMessage(EventId = 101, EventName = "TopicCreated", Level = LogLevel.Information,
        Message = "Created Kafka topic {Topic} with {Partitions} partition(s)")]
    public static partial void TopicCreated(ILogger logger, string topic, int partitions);

    [LoggerMessage(EventId = 103, EventName = "TopicFound", Level = LogLevel.Debug,
        Message = "Kafka topic {Topic} exists; not creating it")]
    public static partial void TopicFound(ILogger logger, string topic);

    [LoggerMessage(EventId = 102, EventName = "TopicMissing", Level = LogLevel.Error,
        Message = "{Problem}. Writes to {Topic} are refused (UNAVAILABLE) until it exists; it is looked for again at the next write after 5 s")]
    public static partial void TopicMissing(ILogger logger, string topic, string problem);

    [LoggerMessage(EventId = 110, EventName = "KafkaProducerError", Level = LogLevel.Warning,
        Message = "Kafka producer: {Error} {Reason}")]
    public static partial void ProducerError(ILogger logger, Confluent.Kafka.ErrorCode error, string reason);

    [LoggerMessage(EventId = 111, EventName = "LibrdkafkaLog", Level = LogLevel.Warning,
        Message = "librdkafka (level {Level}) {Facility}: {Text}")]
    public static partial void LibrdkafkaLog(ILogger logger, int level, string facility, string text);

    [LoggerMessage(EventId = 112, EventName = "DeliveryHandlerFailed", Level = LogLevel.Error,
        Message = "A delivery report handler threw; the record's outcome may not have reached its stream")]
    public static partial void DeliveryHandlerFailed(ILogger logger, Exception exception);
}
