using Confluent.Kafka;

namespace Convoy.Kafka;

/// <summary>
/// What a reader of past records (a rule replay, a projection rebuild) reads of a topic: per
/// partition, the first offset at or after a time and the end of the partition as it is when asked.
/// One mechanism for every such reader, so each copes the same way with a cluster that cannot look
/// up offsets by time and one that makes a topic when asked for it by name.
/// </summary>
public static class TopicRange
{
    /// <summary>
    /// Every topic's metadata, not one topic's: asking for one by name lets a cluster that creates
    /// topics on demand (the embedded one does) make an empty topic for a misspelt tenant.
    /// </summary>
    /// <exception cref="KafkaException">The cluster did not answer.</exception>
    public static Metadata Topics(KafkaCluster cluster, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        using var admin = new AdminClientBuilder(cluster.CreateAdminConfig()).Build();
        return admin.GetMetadata(timeout);
    }

    /// <summary>
    /// Per partition of <paramref name="topic"/>, the first offset of a record taken at or after
    /// <paramref name="fromMs"/> (0 = the partition's first record) and the end now; partitions with
    /// nothing to read are left out. Null when the cluster has no such topic.
    /// </summary>
    /// <remarks>
    /// When the cluster has no offset for the time (no record is that recent, or it cannot look up
    /// by time: the embedded one cannot), the range starts at the partition's first record and the
    /// reader passes over the records taken before <paramref name="fromMs"/> as it reads them.
    /// </remarks>
    /// <exception cref="KafkaException">The cluster did not answer.</exception>
    public static Dictionary<TopicPartition, (Offset Start, long End)>? Plan<TValue>(Metadata metadata, IConsumer<Ignore, TValue> consumer, string topic, long fromMs, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        ArgumentNullException.ThrowIfNull(consumer);
        var found = metadata.Topics.SingleOrDefault(t => t.Topic == topic);
        if (found is null || found.Error.Code != ErrorCode.NoError || found.Partitions.Count == 0)
        {
            return null;
        }

        var partitions = found.Partitions.Select(p => new TopicPartition(topic, p.PartitionId)).ToList();
        var starts = fromMs > 0
            ? consumer.OffsetsForTimes(partitions.Select(p => new TopicPartitionTimestamp(p, new Timestamp(fromMs, TimestampType.CreateTime))), timeout)
            : partitions.Select(p => new TopicPartitionOffset(p, Offset.Beginning)).ToList();
        var plan = new Dictionary<TopicPartition, (Offset, long)>();
        foreach (var start in starts)
        {
            var marks = consumer.QueryWatermarkOffsets(start.TopicPartition, timeout);
            long end = marks.High.Value;
            long first = start.Offset.Value >= 0 ? start.Offset.Value : marks.Low.Value;
            if (first < end)
            {
                plan[start.TopicPartition] = (new Offset(first), end);
            }
        }

        return plan;
    }
}
