using System.Diagnostics;
using Confluent.Kafka;
using Convoy.FleetHistory.Store;
using Convoy.Kafka;
using Convoy.Pki;
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
    private readonly KafkaCluster _cluster;
    private readonly IFleetStore _store;
    private readonly FleetHistoryOptions _options;
    private readonly ConsumerLag _progress;
    private readonly FleetHistoryMetrics _metrics;
    private readonly ILogger<Projector> _logger;
    private readonly FleetWatchers _watchers;
    private readonly RecordProjection _fold;
    private bool _rewindNeeded;
    private readonly System.Collections.Concurrent.ConcurrentQueue<TenantSwitch> _switches = new();

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
        _fold = new RecordProjection(store, metrics, logger);
    }

    /// <summary>
    /// Has the projector's thread run <paramref name="request"/> between two flushes, with every
    /// pending change written and the tenant's positions in the store; completes when it ran (or
    /// faults with why not).
    /// </summary>
    public Task SwitchAsync(TenantSwitch request)
    {
        _switches.Enqueue(request);
        return request.Done.Task;
    }

    // Consume blocks, so the loop gets a thread of its own rather than a pool thread.
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.Factory.StartNew(() => Run(stoppingToken), stoppingToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private void Run(CancellationToken stoppingToken)
    {
        var config = _cluster.CreateConsumerConfig(_options.GroupId, "convoy-fleet-history");
        config.EnableAutoCommit = true;
        using var consumer = new ConsumerBuilder<Ignore, ReusedValue>(config)
            .SetValueDeserializer(new ReusedValue.Reader()) // each record is folded (decoded into its tenant's columns) before the next is taken
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
                if (!_rewindNeeded && _switches.TryPeek(out var due) && due.IsDue && _switches.TryDequeue(out var request))
                {
                    // The flush clock runs on: a switch still waiting for its partitions must not hold back the flushes.
                    Switch(consumer, request, stoppingToken);
                    continue;
                }

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
                if (wait <= 0 || _fold.PendingRecords >= _options.FlushRecords)
                {
                    Flush(consumer, stoppingToken);
                    flushDue = Environment.TickCount64 + _options.FlushMilliseconds;
                    continue;
                }

                ConsumeResult<Ignore, ReusedValue>? record;
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
                    _fold.Project(record);
                }
                catch (StoreUnavailableException e)
                {
                    // Reading a tenant's sequence marks failed: as after a failed write, forget what
                    // is pending and project again from the store's positions once it answers.
                    _metrics.WriteFailed(_store.Kind);
                    FleetHistoryLog.StoreWriteFailed(_logger, e.Message, (int)RetryDelay.TotalMilliseconds);
                    _fold.Forget();
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

    /// <summary>Writes every tenant's pending changes; on a store failure waits and projects again from the store's positions.</summary>
    private void Flush(IConsumer<Ignore, ReusedValue> consumer, CancellationToken stoppingToken)
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

    private void WritePending(IConsumer<Ignore, ReusedValue> consumer)
    {
        foreach (var (tenant, changes) in _fold.Pending)
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

            _fold.Pending.Remove(tenant);
        }

        _fold.PendingRecords = 0;
    }

    /// <summary>
    /// Writes what is pending, then runs the switch with the tenant's live positions, and moves the
    /// tenant's partitions to the positions of the version now live. Waits (a turn of the loop at a
    /// time, up to <see cref="TenantSwitch.OwnershipWait"/>) until this projector owns every partition
    /// of the tenant's topics: another instance's projector would go on writing the old positions.
    /// </summary>
    private void Switch(IConsumer<Ignore, ReusedValue> consumer, TenantSwitch request, CancellationToken stoppingToken)
    {
        var owned = consumer.Assignment.Where(request.Partitions.Contains).ToList();
        if (owned.Count < request.Partitions.Count)
        {
            if (request.Waited < TenantSwitch.OwnershipWait)
            {
                // Asked again in a tenth of a second; the projector goes on projecting meanwhile.
                request.Later(TimeSpan.FromMilliseconds(100));
                _switches.Enqueue(request);
                return;
            }

            request.Done.TrySetException(new RebuildFailedException(
                $"this instance projects {owned.Count} of the {request.Partitions.Count} partitions of tenant {request.Tenant}'s topics; the others belong to other instances of group {_options.GroupId}, " +
                "which would go on writing into the new version from the old one's positions. Scale the fleet history to one instance for the rebuild and start it again"));
            return;
        }

        Flush(consumer, stoppingToken);
        if (_rewindNeeded)
        {
            _switches.Enqueue(request); // the store failed: once it answers again
            return;
        }

        if (!request.TryStart())
        {
            return; // its rebuild stopped meanwhile
        }

        try
        {
            request.Run(_store.Offsets(request.Tenant));
            _fold.ForgetMarks(request.Tenant);
            foreach (var partition in owned)
            {
                consumer.Seek(new TopicPartitionOffset(partition, StoredOffset(partition)));
            }

            request.Done.TrySetResult();
        }
        catch (Exception e) when (e is StoreUnavailableException or KafkaException or RebuildFailedException)
        {
            request.Done.TrySetException(e);
            return;
        }

        if (_watchers.IsWatched(request.Tenant))
        {
            // Every device may have changed: the watchers read them all again.
            try
            {
                var devices = _store.FleetState(request.Tenant, [], "", 10_000).Select(d => d.DeviceId).ToList();
                _watchers.Publish(request.Tenant, new FlushNotice(devices, []));
            }
            catch (StoreUnavailableException e)
            {
                FleetHistoryLog.StoreWriteFailed(_logger, e.Message, 0);
            }
        }
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

    private void TryFlush(IConsumer<Ignore, ReusedValue> consumer)
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
    private bool Rewind(IConsumer<Ignore, ReusedValue> consumer)
    {
        try
        {
            var owned = consumer.Assignment;
            var positions = owned.Select(p => new TopicPartitionOffset(p, StoredOffset(p))).ToList();
            _fold.Forget();
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
    private void HandOver(IConsumer<Ignore, ReusedValue> consumer, IEnumerable<TopicPartition> partitions, string how, bool flush)
    {
        var list = partitions.ToList();
        if (flush)
        {
            TryFlush(consumer);
        }

        if (_fold.Pending.Count > 0)
        {
            // Not written (lost, or the store failed): read it all again, from the store's
            // positions, once this callback is over (seeking is not allowed inside it).
            _fold.Forget();
            _rewindNeeded = true;
        }

        foreach (var partition in list)
        {
            _progress.Remove(partition.Topic, partition.Partition.Value);
            if (TenantTopics.TenantOf(partition.Topic) is { } tenant)
            {
                _fold.ForgetMarks(tenant);
            }
        }

        FleetHistoryLog.PartitionsHandedOver(_logger, list.Count, how);
    }
}

/// <summary>A rebuilt tenant's switch, run by the projector between two flushes (<see cref="Projector.SwitchAsync"/>).</summary>
internal sealed class TenantSwitch(string tenant, IReadOnlySet<TopicPartition> partitions, Action<IReadOnlyDictionary<PartitionKey, long>> run)
{
    /// <summary>How long the projector waits to own every partition of the tenant's topics before the switch fails.</summary>
    public static readonly TimeSpan OwnershipWait = TimeSpan.FromSeconds(30);

    private readonly long _asked = Environment.TickCount64;
    private long _dueAt;
    private int _state; // 0 waiting, 1 running, 2 called off

    public string Tenant => tenant;

    /// <summary>Every partition of the tenant's topics.</summary>
    public IReadOnlySet<TopicPartition> Partitions => partitions;

    public TimeSpan Waited => TimeSpan.FromMilliseconds(Environment.TickCount64 - _asked);

    /// <summary>Whether the projector should look at it now (it is not waiting for a later turn).</summary>
    public bool IsDue => Environment.TickCount64 >= Volatile.Read(ref _dueAt);

    /// <summary>Puts it off by <paramref name="delay"/>.</summary>
    public void Later(TimeSpan delay) => Volatile.Write(ref _dueAt, Environment.TickCount64 + (long)delay.TotalMilliseconds);

    public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>True when the switch may run now (it was not called off); from then on it can no longer be called off.</summary>
    public bool TryStart() => Interlocked.CompareExchange(ref _state, 1, 0) != 2;

    /// <summary>Calls the switch off unless it is running or has run; false when it has started.</summary>
    public bool TryCallOff() => Interlocked.CompareExchange(ref _state, 2, 0) != 1;

    /// <summary>Runs the switch, given the tenant's live positions.</summary>
    public void Run(IReadOnlyDictionary<PartitionKey, long> live) => run(live);
}
