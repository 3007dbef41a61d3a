using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using Confluent.Kafka;
using Convoy.Contracts;
using Convoy.Contracts.Alerts.V1;
using Convoy.FleetHistory.Store;
using Convoy.Kafka;
using Convoy.Pki;
using Google.Protobuf;
using Microsoft.Extensions.Options;

namespace Convoy.FleetHistory.Projection;

/// <summary>
/// Consumes every tenant's telemetry and alert topics as one member of a consumer group and
/// projects them into the store, a flush at a time.
/// </summary>
/// <remarks>
/// Exactly once into the store, without Kafka transactions: each flush writes a tenant's rows,
/// its (device, sender) sequence marks and the next offset of every partition it read in one
/// store transaction, and a newly assigned partition starts at the offset its tenant's store
/// holds, not at the group's committed offset. So a crash between two flushes re-reads exactly the
/// records whose rows never landed. Batches are idempotent by (device, sender, sequence): a batch
/// at or below the stored mark (the collector wrote a replay again) changes nothing. Alerts are
/// idempotent by alert id, acknowledgements by alert id too (the later one wins). Offsets are also committed to Kafka after each flush, only so that
/// Kafka's own tools show the group's lag.
/// </remarks>
internal sealed class Projector : BackgroundService
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);
    private static readonly byte[] AcknowledgedKind = Encoding.UTF8.GetBytes(AlertRecordHeaders.AlertAcknowledged);
    private readonly KafkaCluster _cluster;
    private readonly IFleetStore _store;
    private readonly FleetHistoryOptions _options;
    private readonly ConsumerLag _progress;
    private readonly FleetHistoryMetrics _metrics;
    private readonly ILogger<Projector> _logger;
    private readonly FleetWatchers _watchers;
    private readonly Dictionary<string, TenantChanges> _pending = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Dictionary<SenderKey, ulong>> _marks = new(StringComparer.Ordinal);
    private int _pendingRecords;
    private bool _rewindNeeded;

    public Projector(KafkaCluster cluster, IFleetStore store, IOptions<FleetHistoryOptions> options, ConsumerLag progress, FleetHistoryMetrics metrics,
        FleetWatchers watchers, ILogger<Projector> logger)
    {
        _watchers = watchers;
        _cluster = cluster;
        _store = store;
        _options = options.Value;
        _progress = progress;
        _metrics = metrics;
        _logger = logger;
    }

    // Consume blocks, so the loop gets a thread of its own rather than a pool thread.
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.Factory.StartNew(() => Run(stoppingToken), stoppingToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private void Run(CancellationToken stoppingToken)
    {
        var config = _cluster.CreateConsumerConfig(_options.GroupId, "convoy-fleet-history");
        config.EnableAutoCommit = true;
        using var consumer = new ConsumerBuilder<Ignore, byte[]>(config)
            .SetErrorHandler((_, error) => FleetHistoryLog.ConsumeFailed(_logger, error.Reason))
            .SetLogHandler((_, _) => { })
            .SetPartitionsAssignedHandler((_, assigned) => Assigned(assigned))
            .SetPartitionsRevokedHandler((c, revoked) => HandOver(c, revoked.Select(p => p.TopicPartition), "revoked", flush: true))
            .SetPartitionsLostHandler((c, lost) => HandOver(c, lost.Select(p => p.TopicPartition), "lost", flush: false))
            .Build();
        consumer.Subscribe(_options.TopicPattern);
        FleetHistoryLog.ProjectorStarted(_logger, _options.TopicPattern, _options.GroupId, _cluster.BootstrapServers, _store.Kind);
        long flushDue = Environment.TickCount64 + _options.FlushMilliseconds;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                if (_rewindNeeded)
                {
                    _rewindNeeded = !Rewind(consumer);
                    if (_rewindNeeded)
                    {
                        stoppingToken.WaitHandle.WaitOne(RetryDelay);
                    }

                    continue;
                }

                long wait = flushDue - Environment.TickCount64;
                if (wait <= 0 || _pendingRecords >= _options.FlushRecords)
                {
                    Flush(consumer, stoppingToken);
                    flushDue = Environment.TickCount64 + _options.FlushMilliseconds;
                    continue;
                }

                ConsumeResult<Ignore, byte[]>? record;
                try
                {
                    record = consumer.Consume(TimeSpan.FromMilliseconds(wait));
                }
                catch (ConsumeException e) when (e.Error.Code == ErrorCode.UnknownTopicOrPart)
                {
                    continue; // a pattern that matches no topic yet: no tenant has sent anything
                }
                catch (ConsumeException e)
                {
                    FleetHistoryLog.ConsumeFailed(_logger, e.Error.Reason);
                    continue;
                }

                if (record?.Message is null)
                {
                    continue;
                }

                try
                {
                    Project(record);
                }
                catch (StoreUnavailableException e)
                {
                    // Reading a tenant's sequence marks failed: as after a failed write, forget what
                    // is pending and project again from the store's positions once it answers.
                    _metrics.WriteFailed(_store.Kind);
                    FleetHistoryLog.StoreWriteFailed(_logger, e.Message, (int)RetryDelay.TotalMilliseconds);
                    _pending.Clear();
                    _pendingRecords = 0;
                    _marks.Clear();
                    _rewindNeeded = true;
                    stoppingToken.WaitHandle.WaitOne(RetryDelay);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
        finally
        {
            // What is pending is written if the store takes it; otherwise it is read again next time.
            TryFlush(consumer);
            consumer.Close();
        }
    }

    /// <summary>Folds one record into its tenant's pending changes; an unreadable one is logged and passed over.</summary>
    private void Project(ConsumeResult<Ignore, byte[]> record)
    {
        string topic = record.Topic;
        string? tenant = TenantTopics.TenantOf(topic);
        var partition = new PartitionKey(topic, record.Partition.Value);
        if (tenant is null || !DeviceIdentity.IsValidTenant(tenant))
        {
            FleetHistoryLog.UnreadableRecord(_logger, topic, partition.Partition, record.Offset.Value, "the topic is not a tenant's telemetry or alert topic");
            return;
        }

        var changes = Pending(tenant);
        changes.Offsets[partition] = record.Offset.Value + 1;
        changes.Records++;
        _pendingRecords++;
        string? problem = TenantTopics.IsAlerts(topic) ? ProjectAlert(changes, record) : ProjectBatch(changes, record);
        if (problem is not null)
        {
            FleetHistoryLog.UnreadableRecord(_logger, topic, partition.Partition, record.Offset.Value, problem);
        }
    }

    private string? ProjectBatch(TenantChanges changes, ConsumeResult<Ignore, byte[]> record)
    {
        var headers = record.Message.Headers;
        // Tenant and device are the ones the collector authenticated, in the record's headers.
        if (!headers.TryGetLastBytes(TelemetryRecordHeaders.Tenant, out byte[] tenantBytes) || Encoding.UTF8.GetString(tenantBytes) != changes.Tenant)
        {
            return "its convoy-tenant header is missing or does not match the topic";
        }

        if (!headers.TryGetLastBytes(TelemetryRecordHeaders.Device, out byte[] deviceBytes) || deviceBytes.Length == 0)
        {
            return "it has no convoy-device header";
        }

        if (!headers.TryGetLastBytes(TelemetryRecordHeaders.Sequence, out byte[] sequenceBytes) || sequenceBytes.Length != 8)
        {
            return "it has no 8-byte convoy-sequence header";
        }

        string device = Encoding.UTF8.GetString(deviceBytes);
        string sender = headers.TryGetLastBytes(TelemetryRecordHeaders.Sender, out byte[] senderBytes) ? Encoding.UTF8.GetString(senderBytes) : "";
        ulong sequence = BinaryPrimitives.ReadUInt64BigEndian(sequenceBytes);
        var key = new SenderKey(device, sender);
        var marks = Marks(changes.Tenant);
        if (marks.TryGetValue(key, out ulong mark) && sequence <= mark)
        {
            _metrics.Replayed(changes.Tenant);
            return null;
        }

        if (!TelemetryFold.TryApply(changes, device, record.Message.Value, out int readings, out string? problem))
        {
            return problem;
        }

        marks[key] = sequence;
        changes.Sequences[key] = sequence;
        _metrics.Projected(changes.Tenant, "telemetry", readings);
        return null;
    }

    private string? ProjectAlert(TenantChanges changes, ConsumeResult<Ignore, byte[]> record)
    {
        if (record.Message.Headers is { } headers && headers.TryGetLastBytes(AlertRecordHeaders.Record, out byte[] kind))
        {
            return kind.AsSpan().SequenceEqual(AcknowledgedKind)
                ? ProjectAcknowledgement(changes, record)
                : $"its {AlertRecordHeaders.Record} header names a record kind this version does not know ('{Encoding.UTF8.GetString(kind)}')";
        }

        Alert alert;
        try
        {
            alert = Alert.Parser.ParseFrom(record.Message.Value);
        }
        catch (InvalidProtocolBufferException e)
        {
            return "not a convoy.alerts.v1.Alert: " + e.Message;
        }

        if (alert.TenantId != changes.Tenant)
        {
            return "its tenant_id does not match the topic";
        }

        if (string.IsNullOrEmpty(alert.AlertId) || string.IsNullOrEmpty(alert.DeviceId))
        {
            return "it has no alert_id or device_id";
        }

        changes.AddAlert(alert);

        _metrics.Projected(changes.Tenant, "alerts", 0);
        return null;
    }

    /// <summary>
    /// Folds an AlertAcknowledged record into the alert history. It is kept by alert id whether or
    /// not the alert is known yet (see <see cref="AlertAcknowledgement"/>), and a replay writes the
    /// same acknowledgement again.
    /// </summary>
    private string? ProjectAcknowledgement(TenantChanges changes, ConsumeResult<Ignore, byte[]> record)
    {
        AlertAcknowledged acknowledged;
        try
        {
            acknowledged = AlertAcknowledged.Parser.ParseFrom(record.Message.Value);
        }
        catch (InvalidProtocolBufferException e)
        {
            return "not a convoy.alerts.v1.AlertAcknowledged: " + e.Message;
        }

        if (acknowledged.TenantId != changes.Tenant)
        {
            return "its tenant_id does not match the topic";
        }

        if (string.IsNullOrEmpty(acknowledged.AlertId) || string.IsNullOrEmpty(acknowledged.DeviceId) || acknowledged.Acknowledgement is not { } ack)
        {
            return "it has no alert_id, device_id or acknowledgement";
        }

        changes.AddAcknowledgement(new AlertAcknowledgement(acknowledged.AlertId, acknowledged.DeviceId, ack.By, ack.Note, ack.TimeUnixMs));
        _metrics.Projected(changes.Tenant, "acknowledgements", 0);
        return null;
    }

    private TenantChanges Pending(string tenant)
    {
        if (!_pending.TryGetValue(tenant, out var changes))
        {
            _pending[tenant] = changes = new TenantChanges(tenant);
        }

        return changes;
    }

    /// <summary>The tenant's (device, sender) sequence marks, read from the store the first time the tenant is seen.</summary>
    private Dictionary<SenderKey, ulong> Marks(string tenant)
    {
        if (!_marks.TryGetValue(tenant, out var marks))
        {
            _marks[tenant] = marks = new Dictionary<SenderKey, ulong>(_store.Sequences(tenant));
        }

        return marks;
    }

    /// <summary>Writes every tenant's pending changes; on a store failure waits and projects again from the store's positions.</summary>
    private void Flush(IConsumer<Ignore, byte[]> consumer, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                WritePending(consumer);
                return;
            }
            catch (StoreUnavailableException e)
            {
                _metrics.WriteFailed(_store.Kind);
                FleetHistoryLog.StoreWriteFailed(_logger, e.Message, (int)RetryDelay.TotalMilliseconds);
                stoppingToken.WaitHandle.WaitOne(RetryDelay);
                if (Rewind(consumer))
                {
                    return;
                }
            }
        }
    }

    private void WritePending(IConsumer<Ignore, byte[]> consumer)
    {
        foreach (var (tenant, changes) in _pending)
        {
            if (changes.IsEmpty)
            {
                continue;
            }

            long started = Stopwatch.GetTimestamp();
            _store.Write(changes);
            _metrics.Written(_store.Kind, Stopwatch.GetElapsedTime(started));
            if (_watchers.IsWatched(tenant))
            {
                // Committed: its watchers may read it. Built only when someone watches the tenant.
                _watchers.Publish(tenant, Notice(changes));
            }

            foreach (var (partition, next) in changes.Offsets)
            {
                var topicPartition = new TopicPartition(partition.Topic, new Partition(partition.Partition));
                var end = consumer.GetWatermarkOffsets(topicPartition);
                _progress.Set(partition.Topic, partition.Partition, next, end.High.IsSpecial ? -1 : end.High.Value);
                try
                {
                    consumer.StoreOffset(new TopicPartitionOffset(topicPartition, new Offset(next)));
                }
                catch (KafkaException)
                {
                    // The partition was handed over meanwhile: its new owner starts from the store.
                }
            }

            _pending.Remove(tenant);
        }

        _pendingRecords = 0;
    }

    /// <summary>The devices and alerts a flush wrote: fired, resolved or acknowledged alerts, and their devices.</summary>
    private static FlushNotice Notice(TenantChanges changes)
    {
        var devices = new HashSet<string>(changes.Devices.Keys, StringComparer.Ordinal);
        var alerts = new HashSet<string>(changes.Alerts.Keys, StringComparer.Ordinal);
        foreach (var acknowledgement in changes.Acknowledgements.Values)
        {
            alerts.Add(acknowledgement.AlertId);
            devices.Add(acknowledgement.Device); // its firing alert changed
        }

        return new FlushNotice(devices, alerts);
    }

    private void TryFlush(IConsumer<Ignore, byte[]> consumer)
    {
        try
        {
            WritePending(consumer);
        }
        catch (StoreUnavailableException e)
        {
            FleetHistoryLog.StoreWriteFailed(_logger, e.Message, 0);
        }
    }

    /// <summary>
    /// After a failed write: drop what is pending and the cached marks, and seek every owned
    /// partition back to where the store says, so the same records are projected again. True when
    /// that worked (the store answered); false to wait and try again.
    /// </summary>
    private bool Rewind(IConsumer<Ignore, byte[]> consumer)
    {
        try
        {
            var owned = consumer.Assignment;
            var positions = owned.Select(p => new TopicPartitionOffset(p, StoredOffset(p))).ToList();
            _pending.Clear();
            _pendingRecords = 0;
            _marks.Clear();
            foreach (var position in positions)
            {
                consumer.Seek(position);
            }

            return true;
        }
        catch (StoreUnavailableException e)
        {
            FleetHistoryLog.StoreWriteFailed(_logger, e.Message, (int)RetryDelay.TotalMilliseconds);
            return false;
        }
        catch (KafkaException e)
        {
            FleetHistoryLog.ConsumeFailed(_logger, "seeking back to the store's positions: " + e.Error.Reason);
            return false;
        }
    }

    /// <summary>Newly assigned partitions start where their tenant's store says; a partition it has never seen from the beginning.</summary>
    private List<TopicPartitionOffset> Assigned(List<TopicPartition> assigned)
    {
        var positions = new List<TopicPartitionOffset>(assigned.Count);
        foreach (var partition in assigned)
        {
            Offset offset;
            try
            {
                offset = StoredOffset(partition);
            }
            catch (StoreUnavailableException e)
            {
                // The group's committed offset is never ahead of the store (it is committed after
                // the store write), and sequences make an earlier start harmless.
                FleetHistoryLog.StoreWriteFailed(_logger, e.Message, 0);
                offset = Offset.Stored;
            }

            positions.Add(new TopicPartitionOffset(partition, offset));
        }

        if (positions.Count > 0)
        {
            string where = string.Join(", ", positions.Select(p => $"{p.Topic}[{p.Partition.Value}]@{p.Offset}"));
            FleetHistoryLog.PartitionsAssigned(_logger, positions.Count, where);
        }

        return positions;
    }

    private Offset StoredOffset(TopicPartition partition)
    {
        string? tenant = TenantTopics.TenantOf(partition.Topic);
        if (tenant is null || !DeviceIdentity.IsValidTenant(tenant))
        {
            return Offset.Beginning;
        }

        return _store.Offsets(tenant).TryGetValue(new PartitionKey(partition.Topic, partition.Partition.Value), out long next) ? new Offset(next) : Offset.Beginning;
    }

    /// <summary>Partitions given up: write what is pending for them while still owned (revoked), then forget their tenants' cached marks.</summary>
    private void HandOver(IConsumer<Ignore, byte[]> consumer, IEnumerable<TopicPartition> partitions, string how, bool flush)
    {
        var list = partitions.ToList();
        if (flush)
        {
            TryFlush(consumer);
        }

        if (_pending.Count > 0)
        {
            // Not written (lost, or the store failed): read it all again, from the store's
            // positions, once this callback is over (seeking is not allowed inside it).
            _pending.Clear();
            _pendingRecords = 0;
            _marks.Clear();
            _rewindNeeded = true;
        }

        foreach (var partition in list)
        {
            _progress.Remove(partition.Topic, partition.Partition.Value);
            if (TenantTopics.TenantOf(partition.Topic) is { } tenant)
            {
                _marks.Remove(tenant);
            }
        }

        FleetHistoryLog.PartitionsHandedOver(_logger, list.Count, how);
    }
}
