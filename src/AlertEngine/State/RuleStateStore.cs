using System.Text;
using Confluent.Kafka;
using Convoy.Contracts.Alerts.V1;
using Convoy.Kafka;
using Google.Protobuf;
using Microsoft.Extensions.Options;

namespace Convoy.AlertEngine.State;

/// <summary>
/// The engine's per-device rule state in a compacted Kafka topic (<see cref="AlertEngineOptions.StateTopic"/>):
/// one <see cref="DeviceRuleState"/> record per (tenant, device), keyed by tenant, a NUL byte and
/// device, so compaction keeps each device's newest state. Written for the devices a checkpoint
/// changed, before the consumer stores its offsets; read when partitions are assigned.
/// </summary>
/// <remarks>
/// A device's state record names the telemetry topic and partition its batches arrive on; a new
/// owner reads the whole state topic and keeps the devices of the partitions it was given. So the
/// state topic's partition count is free (it need not match the telemetry topics'), at the cost of
/// reading all of it on every assignment (see docs/configuration/alert-engine.md, Limits).
/// </remarks>
internal sealed class RuleStateStore : IDisposable
{
    private static readonly TimeSpan FlushTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan LoadTimeout = TimeSpan.FromSeconds(30);
    private readonly KafkaCluster _cluster;
    private readonly ILogger<RuleStateStore> _logger;
    private readonly IProducer<byte[], byte[]> _producer;
    private readonly Action<DeliveryReport<byte[], byte[]>> _delivered;
    private string? _failure;

    public RuleStateStore(KafkaCluster cluster, IOptions<AlertEngineOptions> options, ILogger<RuleStateStore> logger)
    {
        _cluster = cluster;
        _logger = logger;
        Topic = options.Value.StateTopic;
        _producer = new ProducerBuilder<byte[], byte[]>(cluster.CreateProducerConfig("convoy-alert-engine-state"))
            .SetErrorHandler((_, error) => AlertEngineLog.ConsumeFailed(logger, "state producer: " + error.Reason))
            .SetLogHandler((_, _) => { })
            .Build();
        _delivered = report =>
        {
            if (report.Error.IsError)
            {
                _failure = report.Error.Reason;
            }
        };
    }

    public string Topic { get; }

    /// <summary>Writes the snapshots and waits until Kafka confirmed every one; false (logged) when it did not.</summary>
    public bool TryWrite(List<DeviceRuleState> snapshots)
    {
        if (snapshots.Count == 0)
        {
            return true;
        }

        try
        {
            _cluster.EnsureCompactedTopicAsync(Topic).GetAwaiter().GetResult();
            _failure = null;
            foreach (var snapshot in snapshots)
            {
                var message = new Message<byte[], byte[]> { Key = Key(snapshot.TenantId, snapshot.DeviceId), Value = snapshot.ToByteArray() };
                _producer.ProduceWhenRoom(Topic, message, _delivered);
            }

            if (_producer.Flush(FlushTimeout) > 0)
            {
                _failure ??= $"not confirmed within {FlushTimeout.TotalSeconds:0} s";
            }
        }
        catch (KafkaException e)
        {
            _failure = e.Error.Reason;
        }

        if (_failure is null)
        {
            return true;
        }

        AlertEngineLog.StateWriteFailed(_logger, snapshots.Count, Topic, _failure);
        return false;
    }

    /// <summary>
    /// Reads the state topic to its end and returns the newest state of every device whose batches
    /// arrive on one of <paramref name="partitions"/> (telemetry topic and partition).
    /// </summary>
    public List<DeviceRuleState> Load(IReadOnlyCollection<TopicPartition> partitions)
    {
        var found = new List<DeviceRuleState>();
        if (partitions.Count == 0)
        {
            return found;
        }

        var wanted = new HashSet<(string, int)>();
        foreach (var p in partitions)
        {
            wanted.Add((p.Topic, p.Partition.Value));
        }

        _cluster.EnsureCompactedTopicAsync(Topic).GetAwaiter().GetResult();
        using var reader = new ConsumerBuilder<byte[], byte[]>(_cluster.CreateReaderConfig("convoy-alert-engine-state-" + Guid.NewGuid().ToString("N")))
            .SetLogHandler((_, _) => { })
            .Build();
        var ends = new Dictionary<int, long>();
        using (var admin = new AdminClientBuilder(_cluster.CreateAdminConfig()).Build())
        {
            var metadata = admin.GetMetadata(Topic, LoadTimeout);
            foreach (var topic in metadata.Topics)
            {
                foreach (var partition in topic.Partitions)
                {
                    var marks = reader.QueryWatermarkOffsets(new TopicPartition(Topic, partition.PartitionId), LoadTimeout);
                    if (marks.High.Value > marks.Low.Value)
                    {
                        ends[partition.PartitionId] = marks.High.Value;
                    }
                }
            }
        }

        if (ends.Count == 0)
        {
            return found;
        }

        var assignment = new List<TopicPartitionOffset>(ends.Count);
        foreach (var partition in ends.Keys)
        {
            assignment.Add(new TopicPartitionOffset(Topic, partition, Offset.Beginning));
        }

        reader.Assign(assignment);
        var newest = new Dictionary<string, DeviceRuleState?>(StringComparer.Ordinal);
        var deadline = DateTime.UtcNow + LoadTimeout;
        while (ends.Count > 0)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"reading the state topic {Topic} did not reach its end within {LoadTimeout.TotalSeconds:0} s");
            }

            var record = reader.Consume(TimeSpan.FromMilliseconds(200));
            if (record?.Message is null)
            {
                continue;
            }

            if (record.Offset.Value + 1 >= ends.GetValueOrDefault(record.Partition.Value, long.MaxValue))
            {
                ends.Remove(record.Partition.Value);
            }

            string key = record.Message.Key is null ? "" : Encoding.UTF8.GetString(record.Message.Key);
            if (record.Message.Value is null)
            {
                newest[key] = null; // a tombstone: the device's state was deleted
                continue;
            }

            try
            {
                var state = DeviceRuleState.Parser.ParseFrom(record.Message.Value);
                newest[key] = wanted.Contains((state.Topic, state.Partition)) ? state : null;
            }
            catch (InvalidProtocolBufferException e)
            {
                AlertEngineLog.UnreadableRecord(_logger, Topic, record.Partition.Value, record.Offset.Value, "not a device rule state: " + e.Message);
            }
        }

        foreach (var state in newest.Values)
        {
            if (state is not null)
            {
                found.Add(state);
            }
        }

        return found;
    }

    private static byte[] Key(string tenant, string device)
    {
        // Tenant and device ids never contain NUL, so (tenant, device) maps to exactly one key.
        byte[] key = new byte[Encoding.UTF8.GetByteCount(tenant) + 1 + Encoding.UTF8.GetByteCount(device)];
        int n = Encoding.UTF8.GetBytes(tenant, key);
        key[n] = 0;
        Encoding.UTF8.GetBytes(device, key.AsSpan(n + 1));
        return key;
    }

    public void Dispose()
    {
        _producer.Flush(TimeSpan.FromSeconds(10));
        _producer.Dispose();
    }
}
