using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Confluent.Kafka;

namespace Convoy.Kafka;

/// <summary>
/// How far a consumer group member is behind, per partition it owns: the next offset it will take
/// and the partition's end as Kafka last reported it in a fetch. The alert engine and the read side
/// keep one each; their metrics export it as a gauge per topic and partition, and the read side's
/// status call shows it to tenants. Written by the consumer's own thread, read by anyone.
/// </summary>
public sealed class ConsumerLag
{
    private readonly ConcurrentDictionary<(string Topic, int Partition), (long Next, long End)> _partitions = new();

    /// <summary>The partitions owned now, by topic and partition.</summary>
    public IReadOnlyList<PartitionLag> Partitions =>
        [.. _partitions.Select(static p => new PartitionLag(p.Key.Topic, p.Key.Partition, p.Value.Next, p.Value.End))
            .OrderBy(static p => p.Topic, StringComparer.Ordinal).ThenBy(static p => p.Partition)];

    /// <summary>Records not yet taken, over every partition owned whose end is known.</summary>
    public long Total => _partitions.Values.Sum(static p => p.End >= 0 ? Math.Max(0, p.End - p.Next) : 0);

    /// <summary>Records the partition's position: <paramref name="next"/> to take, <paramref name="end"/> its high watermark (-1 unknown).</summary>
    public void Set(string topic, int partition, long next, long end) => _partitions[(topic, partition)] = (next, end);

    /// <summary>The partition is no longer owned (revoked or lost): its lag is another member's.</summary>
    public void Remove(string topic, int partition) => _partitions.TryRemove((topic, partition), out _);

    /// <summary>
    /// Reads every assigned partition's position and its end as of the last fetch, from the
    /// consumer's own state (no request to a broker). Call it on the consumer's thread. A partition
    /// nothing was read from yet counts from its committed offset when one is known.
    /// </summary>
    public void Observe<TKey, TValue>(IConsumer<TKey, TValue> consumer)
    {
        ArgumentNullException.ThrowIfNull(consumer);
        foreach (var partition in consumer.Assignment)
        {
            try
            {
                var end = consumer.GetWatermarkOffsets(partition);
                var position = consumer.Position(partition);
                if (position.IsSpecial || end.High.IsSpecial)
                {
                    continue;
                }

                Set(partition.Topic, partition.Partition.Value, position.Value, end.High.Value);
            }
            catch (KafkaException)
            {
                // Revoked meanwhile: the next rebalance callback removes it.
            }
        }
    }

    /// <summary>One measurement per owned partition whose end is known, tagged topic and partition, for an observable gauge.</summary>
    public IEnumerable<Measurement<long>> Measure()
    {
        foreach (var (key, value) in _partitions)
        {
            if (value.End >= 0)
            {
                yield return new Measurement<long>(Math.Max(0, value.End - value.Next),
                    new KeyValuePair<string, object?>("topic", key.Topic), new KeyValuePair<string, object?>("partition", key.Partition));
            }
        }
    }
}

/// <summary>One owned partition: the next offset to take, the end (-1 unknown), and the records between.</summary>
public readonly record struct PartitionLag(string Topic, int Partition, long Next, long End)
{
    /// <summary>Records not yet taken; -1 when the end is unknown.</summary>
    public long Lag => End >= 0 ? Math.Max(0, End - Next) : -1;
}
