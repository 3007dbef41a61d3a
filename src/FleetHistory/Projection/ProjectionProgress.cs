using System.Collections.Concurrent;
using Convoy.FleetHistory.Store;

namespace Convoy.FleetHistory.Projection;

/// <summary>
/// How far the projector is, per partition it owns: the next offset it will write and the end of
/// the partition as Kafka last reported it. Written by the projector after each flush, read by the
/// query API's status call and the metrics.
/// </summary>
internal sealed class ProjectionProgress
{
    private readonly ConcurrentDictionary<PartitionKey, (long Next, long End)> _partitions = new();

    public void Set(PartitionKey partition, long next, long end) => _partitions[partition] = (next, end);

    public void Remove(PartitionKey partition) => _partitions.TryRemove(partition, out _);

    /// <summary>The partitions of a tenant's topics, by topic and partition.</summary>
    public IReadOnlyList<(PartitionKey Partition, long Next, long End)> Of(string tenant) =>
        [.. _partitions
            .Where(p => TenantTopics.TenantOf(p.Key.Topic) == tenant)
            .Select(p => (p.Key, p.Value.Next, p.Value.End))
            .OrderBy(p => p.Key.Topic, StringComparer.Ordinal).ThenBy(p => p.Key.Partition)];

    /// <summary>Records not yet projected, over every partition this process owns.</summary>
    public long TotalLag => _partitions.Values.Sum(p => p.End >= 0 ? Math.Max(0, p.End - p.Next) : 0);
}

/// <summary>Which tenant a topic belongs to: <c>telemetry.&lt;tenant&gt;</c> and <c>alerts.&lt;tenant&gt;</c>.</summary>
internal static class TenantTopics
{
    public const string TelemetryPrefix = "telemetry.";
    public const string AlertsPrefix = "alerts.";

    public static string? TenantOf(string topic) =>
        topic.StartsWith(TelemetryPrefix, StringComparison.Ordinal) ? topic[TelemetryPrefix.Length..]
        : topic.StartsWith(AlertsPrefix, StringComparison.Ordinal) ? topic[AlertsPrefix.Length..]
        : null;

    public static bool IsAlerts(string topic) => topic.StartsWith(AlertsPrefix, StringComparison.Ordinal);
}
