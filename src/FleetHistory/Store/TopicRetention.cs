using System.Globalization;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Convoy.Contracts;
using Convoy.Kafka;

namespace Convoy.FleetHistory.Store;

/// <summary>
/// A tenant's retention as Kafka's <c>retention.ms</c> on its own topics, so the topics keep what
/// the store keeps and no longer: <c>telemetry.&lt;tenant&gt;</c> the longer of its fixes' and
/// rollups' days (a rebuild rebuilds both from it), <c>alerts.&lt;tenant&gt;</c> its alerts' days.
/// Set when an admin changes the tenant's retention and checked on every retention pass; a topic
/// already right is left alone.
/// </summary>
internal sealed class TopicRetention
{
    public const string RetentionMs = "retention.ms";
    private const long DayMs = 86_400_000;
    private static readonly TimeSpan KafkaTimeout = TimeSpan.FromSeconds(15);
    private readonly Func<IAdminClient>? _admin;

    public TopicRetention(KafkaCluster cluster)
        : this(cluster.Embedded is null ? () => new AdminClientBuilder(cluster.CreateAdminConfig()).Build() : null)
    {
    }

    /// <param name="admin">makes an admin client of the cluster; null for the embedded cluster, whose topics have no configuration to set.</param>
    internal TopicRetention(Func<IAdminClient>? admin) => _admin = admin;

    /// <summary>The <c>retention.ms</c> each of the tenant's topics should have for the days in effect.</summary>
    public static IReadOnlyDictionary<string, long> Wanted(string tenant, RetentionDays inEffect) => new Dictionary<string, long>(StringComparer.Ordinal)
    {
        [TelemetryRecordHeaders.TelemetryTopic(tenant)] = Math.Max(inEffect.Positions, inEffect.Rollups) * DayMs,
        [TelemetryRecordHeaders.AlertTopic(tenant)] = inEffect.Alerts * DayMs,
    };

    /// <summary>Sets the tenant's topics' retention where it differs; says what it did, a line per topic.</summary>
    /// <exception cref="KafkaException">Kafka did not answer or refused.</exception>
    public async Task<IReadOnlyList<string>> ApplyAsync(string tenant, RetentionDays inEffect)
    {
        var wanted = Wanted(tenant, inEffect);
        if (_admin is null)
        {
            // librdkafka's mock cluster keeps records in memory for the life of its process and
            // has no controller to describe or alter a topic's configuration.
            return [];
        }

        using var admin = _admin();
        // Every topic's metadata: asking for one by name may create it (TopicRange.Topics).
        var existing = admin.GetMetadata(KafkaTimeout).Topics.Where(t => t.Error.Code == ErrorCode.NoError).Select(t => t.Topic).ToHashSet(StringComparer.Ordinal);
        var present = wanted.Keys.Where(existing.Contains).Select(t => new ConfigResource { Type = ResourceType.Topic, Name = t }).ToList();
        var done = new List<string>();
        if (present.Count == 0)
        {
            return done;
        }

        var described = await admin.DescribeConfigsAsync(present, new DescribeConfigsOptions { RequestTimeout = KafkaTimeout });
        var changes = new Dictionary<ConfigResource, List<ConfigEntry>>();
        foreach (var topic in described)
        {
            long want = wanted[topic.ConfigResource.Name];
            string now = topic.Entries.TryGetValue(RetentionMs, out var entry) ? entry.Value : "";
            if (now == want.ToString(CultureInfo.InvariantCulture))
            {
                continue;
            }

            changes[topic.ConfigResource] = [new ConfigEntry { Name = RetentionMs, Value = want.ToString(CultureInfo.InvariantCulture), IncrementalOperation = AlterConfigOpType.Set }];
            done.Add($"{topic.ConfigResource.Name}: {RetentionMs} {(now.Length == 0 ? "unset" : now)} -> {want} ({want / DayMs} days)");
        }

        if (changes.Count > 0)
        {
            await admin.IncrementalAlterConfigsAsync(changes, new IncrementalAlterConfigsOptions { RequestTimeout = KafkaTimeout });
        }

        return done;
    }
}
