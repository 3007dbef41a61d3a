using System.Collections.Concurrent;
using System.Diagnostics;
using Confluent.Kafka;
using Convoy.Contracts;
using Convoy.Contracts.Fleet.V1;
using Convoy.FleetHistory.Store;
using Convoy.FleetHistory.Tenancy;
using Convoy.Kafka;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace Convoy.FleetHistory.Projection;

/// <summary>
/// Rebuilds a tenant's projections from its topics (<c>StartRebuild</c>): a new version is built
/// in the store's rebuild space (<see cref="IFleetStore.RebuildSpace"/>) while the live one goes on
/// answering queries and taking new records; once the new one has read up to the ends the topics
/// had when it started, the live projector pauses the tenant between two flushes, the new version
/// reads the records the live one took meanwhile, and the store puts it in the live one's place
/// (<see cref="IFleetStore.Promote"/>). The same fold (<see cref="RecordProjection"/>) builds both.
/// </summary>
/// <remarks>
/// The switch needs this instance's projector to own every partition of the tenant's topics: with
/// several instances in the group, another owner would go on writing the old version's positions
/// into the new one. A rebuild whose projector does not own them all within half a minute fails
/// and says so; the live version is untouched by a failed rebuild.
/// </remarks>
internal sealed class ProjectionRebuilds : IDisposable
{
    private static readonly TimeSpan KafkaTimeout = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan CatchUpLimit = TimeSpan.FromSeconds(60);
    private readonly KafkaCluster _cluster;
    private readonly IFleetStore _store;
    private readonly Projector _projector;
    private readonly FleetHistoryOptions _options;
    private readonly TenantSettings _tenants;
    private readonly FleetHistoryMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger<ProjectionRebuilds> _logger;
    private readonly ConcurrentDictionary<string, RebuildProgress> _latest = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();

    public ProjectionRebuilds(KafkaCluster cluster, IFleetStore store, Projector projector, TenantSettings tenants, IOptions<FleetHistoryOptions> options, FleetHistoryMetrics metrics,
        TimeProvider time, ILogger<ProjectionRebuilds> logger)
    {
        _tenants = tenants;
        _cluster = cluster;
        _store = store;
        _projector = projector;
        _options = options.Value;
        _metrics = metrics;
        _time = time;
        _logger = logger;
    }

    /// <summary>The tenant's latest rebuild since this instance started; null when there was none.</summary>
    public RebuildStatus? Status(string tenant) => _latest.TryGetValue(tenant, out var progress) ? progress.Snapshot() : null;

    /// <summary>Starts rebuilding the tenant's projections from the records taken at or after <paramref name="fromMs"/> (0 = all); its first status.</summary>
    /// <exception cref="RpcException">FAILED_PRECONDITION, NOT_FOUND or UNAVAILABLE, with what to do.</exception>
    public RebuildStatus Start(string tenant, long fromMs)
    {
        var progress = new RebuildProgress(fromMs, _time.GetUtcNow().ToUnixTimeMilliseconds());
        if (_latest.TryGetValue(tenant, out var running) && running.IsRunning)
        {
            var status = running.Snapshot();
            throw new RpcException(new Status(StatusCode.FailedPrecondition,
                $"a rebuild of your projections is already running (started {DateTimeOffset.FromUnixTimeMilliseconds(status.StartedUnixMs):u}, {status.Records} record(s) read, {status.Remaining} to go); follow it with GetProjectionStatus"));
        }

        if (!_latest.TryAdd(tenant, progress) && !_latest.TryUpdate(tenant, progress, running!))
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, "a rebuild of your projections started at this moment; follow it with GetProjectionStatus"));
        }

        try
        {
            var space = _store.RebuildSpace(tenant, out string whyNot) ?? throw new RpcException(new Status(StatusCode.FailedPrecondition, "your projections cannot be rebuilt: " + whyNot));
            var consumer = new ConsumerBuilder<Ignore, ReusedValue>(_cluster.CreateReaderConfig("convoy-fleet-history-rebuild-" + tenant))
                .SetValueDeserializer(new ReusedValue.Reader()) // as the live projector: each record is folded before the next
                .SetLogHandler((_, _) => { })
                .Build();
            try
            {
                var plan = Plan(consumer, tenant, fromMs, out var partitions);
                progress.Begin(plan);
                // What an earlier rebuild that stopped half-way left in the space.
                space.DeleteTenant(tenant);
                var rebuild = new Rebuild(this, tenant, fromMs, space, consumer, partitions, progress);
                var first = progress.Snapshot();
                string from = fromMs > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(fromMs).ToString("u") : "the beginning";
                FleetHistoryLog.RebuildStarted(_logger, tenant, from, first.Remaining);
                _ = Task.Factory.StartNew(() => rebuild.RunAsync(_stopping.Token), _stopping.Token, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
                return first;
            }
            catch
            {
                consumer.Dispose();
                space.Dispose();
                throw;
            }
        }
        catch (Exception e)
        {
            var refusal = e switch
            {
                RpcException r => r,
                StoreUnavailableException s => new RpcException(new Status(StatusCode.Unavailable, s.Message)),
                KafkaException k => new RpcException(new Status(StatusCode.Unavailable, $"Kafka at {_cluster.BootstrapServers} did not answer: {k.Error.Reason}; try again")),
                _ => null,
            };
            progress.Fail(_time.GetUtcNow().ToUnixTimeMilliseconds(), refusal?.Status.Detail ?? e.Message);
            if (refusal is null)
            {
                throw;
            }

            throw refusal;
        }
    }

    public void Dispose()
    {
        _stopping.Cancel();
        _stopping.Dispose();
    }

    /// <summary>What to read of the tenant's two topics; every partition they have, read or not, in <paramref name="partitions"/>.</summary>
    private Dictionary<TopicPartition, (Offset Start, long End)> Plan(IConsumer<Ignore, ReusedValue> consumer, string tenant, long fromMs, out HashSet<TopicPartition> partitions)
    {
        var metadata = TopicRange.Topics(_cluster, KafkaTimeout);
        var plan = new Dictionary<TopicPartition, (Offset, long)>();
        partitions = [];
        foreach (string topic in new[] { TelemetryRecordHeaders.TelemetryTopic(tenant), TelemetryRecordHeaders.AlertTopic(tenant) })
        {
            foreach (var (partition, range) in TopicRange.Plan(metadata, consumer, topic, fromMs, KafkaTimeout) ?? [])
            {
                plan[partition] = range;
            }

            if (metadata.Topics.SingleOrDefault(t => t.Topic == topic) is { } found)
            {
                partitions.UnionWith(found.Partitions.Select(p => new TopicPartition(topic, p.PartitionId)));
            }
        }

        if (plan.Count == 0)
        {
            throw new RpcException(new Status(StatusCode.NotFound,
                $"your topics {TelemetryRecordHeaders.TelemetryTopic(tenant)} and {TelemetryRecordHeaders.AlertTopic(tenant)} hold no record to rebuild from (nothing sent yet, or Kafka's retention has removed it)"));
        }

        return plan;
    }

    /// <summary>One tenant's rebuild, on a thread of its own until the switch, which runs on the projector's.</summary>
    private sealed class Rebuild(ProjectionRebuilds owner, string tenant, long fromMs, IFleetStore space, IConsumer<Ignore, ReusedValue> consumer,
        HashSet<TopicPartition> partitions, RebuildProgress progress)
    {
        private readonly RecordProjection _fold = new(space, owner._metrics, owner._logger);

        public async Task RunAsync(CancellationToken stopping)
        {
            long started = Stopwatch.GetTimestamp();
            try
            {
                ReadToEnds(stopping);
                progress.Switching();
                var request = new TenantSwitch(tenant, partitions, CatchUpAndPromote);
                try
                {
                    await owner._projector.SwitchAsync(request).WaitAsync(stopping);
                }
                catch (OperationCanceledException) when (!request.TryCallOff())
                {
                    await request.Done.Task; // running on the projector's thread with this consumer: let it end
                }

                progress.Done(owner._time.GetUtcNow().ToUnixTimeMilliseconds());
                long records = progress.Snapshot().Records;
                double seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
                FleetHistoryLog.RebuildSwitched(owner._logger, tenant, records, seconds);
            }
            catch (Exception e) when (e is StoreUnavailableException or KafkaException or RebuildFailedException or OperationCanceledException)
            {
                string reason = e switch
                {
                    KafkaException k => $"reading from Kafka at {owner._cluster.BootstrapServers} failed: {k.Error.Reason}",
                    OperationCanceledException => "the fleet history instance is stopping",
                    _ => e.Message,
                };
                progress.Fail(owner._time.GetUtcNow().ToUnixTimeMilliseconds(), reason);
                FleetHistoryLog.RebuildFailed(owner._logger, tenant, reason);
                try
                {
                    space.DeleteTenant(tenant);
                }
                catch (StoreUnavailableException)
                {
                    // Left in the rebuild space; the next rebuild of the tenant clears it first.
                }
            }
            finally
            {
                consumer.Dispose();
                space.Dispose();
            }
        }

        /// <summary>Reads every partition up to the end it had when the rebuild started, a flush at a time.</summary>
        private void ReadToEnds(CancellationToken stopping)
        {
            var ends = progress.Ends();
            consumer.Assign(progress.Starts());
            var open = new HashSet<TopicPartition>(ends.Keys);
            long flushDue = Environment.TickCount64 + owner._options.FlushMilliseconds;
            long reported = Environment.TickCount64;
            while (open.Count > 0)
            {
                stopping.ThrowIfCancellationRequested();
                var record = consumer.Consume(TimeSpan.FromMilliseconds(200));
                if (record?.Message is not null)
                {
                    Take(record);
                    if (record.Offset.Value + 1 >= ends[record.TopicPartition])
                    {
                        Close(open, record.TopicPartition);
                    }
                }
                else
                {
                    // A partition whose last offsets hold no record for a consumer (transaction markers) is done at its end.
                    foreach (var partition in open.Where(p => consumer.Position(p).Value >= ends[p]).ToList())
                    {
                        Close(open, partition);
                    }
                }

                if (Environment.TickCount64 >= flushDue || _fold.PendingRecords >= owner._options.FlushRecords)
                {
                    Write();
                    flushDue = Environment.TickCount64 + owner._options.FlushMilliseconds;
                }

                if (Environment.TickCount64 - reported >= 5_000)
                {
                    reported = Environment.TickCount64;
                    var status = progress.Snapshot();
                    FleetHistoryLog.RebuildProgress(owner._logger, tenant, status.Records, status.Remaining);
                }
            }

            Write();
        }

        /// <summary>
        /// On the projector's thread, the tenant paused and its live positions in <paramref name="live"/>:
        /// reads what the live version took since the rebuild reached its ends, gives the new version
        /// the tenant's own retention, and puts it in the live one's place.
        /// </summary>
        private void CatchUpAndPromote(IReadOnlyDictionary<PartitionKey, long> live)
        {
            var behind = new Dictionary<TopicPartition, long>();
            foreach (var (key, next) in live)
            {
                var partition = new TopicPartition(key.Topic, new Partition(key.Partition));
                if (progress.Position(partition) < next)
                {
                    behind[partition] = next;
                }
            }

            var unassigned = behind.Keys.Where(p => !consumer.Assignment.Contains(p)).ToList();
            if (unassigned.Count > 0)
            {
                // A partition with nothing in it when the rebuild started, written since.
                consumer.IncrementalAssign(unassigned.Select(p => new TopicPartitionOffset(p, Offset.Beginning)));
            }

            consumer.Resume(behind.Keys.Where(consumer.Assignment.Contains));
            long deadline = Environment.TickCount64 + (long)CatchUpLimit.TotalMilliseconds;
            while (behind.Count > 0)
            {
                if (Environment.TickCount64 > deadline)
                {
                    throw new RebuildFailedException($"the new version did not catch up with the live one within {CatchUpLimit.TotalSeconds:F0} s (still behind on {string.Join(", ", behind.Keys)})");
                }

                var record = consumer.Consume(TimeSpan.FromMilliseconds(200));
                if (record?.Message is null)
                {
                    continue;
                }

                Take(record);
                if (behind.TryGetValue(record.TopicPartition, out long target) && record.Offset.Value + 1 >= target)
                {
                    behind.Remove(record.TopicPartition);
                }
            }

            Write();
            if (owner._store.Retention(tenant) is { } own)
            {
                space.SetRetention(tenant, own);
            }

            RetentionEnforcer.Apply(space, tenant, owner._tenants.DefaultRetention(tenant), owner._time.GetUtcNow().ToUnixTimeMilliseconds());
            owner._store.Promote(tenant, space);
        }

        /// <summary>Folds a record into the new version, or passes over one taken before the rebuild's start.</summary>
        private void Take(ConsumeResult<Ignore, ReusedValue> record)
        {
            if (fromMs > 0 && record.Message.Timestamp.UnixTimestampMs < fromMs)
            {
                _fold.Pass(record); // read only where the cluster could not look up the start by time
            }
            else
            {
                _fold.Project(record);
            }

            progress.Read(record.TopicPartition, record.Offset.Value + 1);
        }

        private void Write()
        {
            foreach (var changes in _fold.Pending.Values)
            {
                if (!changes.IsEmpty)
                {
                    space.Write(changes);
                }
            }

            _fold.Pending.Clear();
            _fold.PendingRecords = 0;
        }

        private void Close(HashSet<TopicPartition> open, TopicPartition partition)
        {
            if (open.Remove(partition))
            {
                consumer.Pause([partition]);
            }
        }
    }
}

/// <summary>A rebuild stopped for a reason of its own (not the store's or Kafka's); the message says which.</summary>
internal sealed class RebuildFailedException(string message) : Exception(message);

/// <summary>Where one rebuild is; written by the rebuild, read by GetProjectionStatus from any thread.</summary>
internal sealed class RebuildProgress(long fromMs, long startedMs)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<TopicPartition, (long Start, long Next, long End)> _partitions = [];
    private RebuildStatus.Types.State _state = RebuildStatus.Types.State.Building;
    private long _records;
    private long _finishedMs;
    private string _error = "";

    public bool IsRunning
    {
        get
        {
            lock (_lock)
            {
                return _state is RebuildStatus.Types.State.Building or RebuildStatus.Types.State.Switching;
            }
        }
    }

    public void Begin(Dictionary<TopicPartition, (Offset Start, long End)> plan)
    {
        lock (_lock)
        {
            foreach (var (partition, (start, end)) in plan)
            {
                _partitions[partition] = (start.Value, start.Value, end);
            }
        }
    }

    public List<TopicPartitionOffset> Starts()
    {
        lock (_lock)
        {
            return [.. _partitions.Select(p => new TopicPartitionOffset(p.Key, new Offset(p.Value.Start)))];
        }
    }

    public Dictionary<TopicPartition, long> Ends()
    {
        lock (_lock)
        {
            return _partitions.ToDictionary(p => p.Key, p => p.Value.End);
        }
    }

    /// <summary>The next offset the new version reads of the partition; 0 for one it has not read.</summary>
    public long Position(TopicPartition partition)
    {
        lock (_lock)
        {
            return _partitions.TryGetValue(partition, out var p) ? p.Next : 0;
        }
    }

    public void Read(TopicPartition partition, long next)
    {
        lock (_lock)
        {
            var p = _partitions.GetValueOrDefault(partition, (0, 0, 0));
            _partitions[partition] = (p.Start, next, Math.Max(p.End, next));
            _records++;
        }
    }

    public void Switching() => Set(RebuildStatus.Types.State.Switching, 0, "");

    public void Done(long nowMs) => Set(RebuildStatus.Types.State.Done, nowMs, "");

    public void Fail(long nowMs, string error) => Set(RebuildStatus.Types.State.Failed, nowMs, error);

    public RebuildStatus Snapshot()
    {
        lock (_lock)
        {
            var status = new RebuildStatus { State = _state, FromUnixMs = fromMs, StartedUnixMs = startedMs, FinishedUnixMs = _finishedMs, Records = _records, Error = _error };
            foreach (var (partition, (_, next, end)) in _partitions.OrderBy(p => p.Key.Topic, StringComparer.Ordinal).ThenBy(p => p.Key.Partition.Value))
            {
                long lag = Math.Max(0, end - next);
                status.Partitions.Add(new PartitionStatus { Topic = partition.Topic, Partition = partition.Partition.Value, NextOffset = next, EndOffset = end, Lag = lag });
                status.Remaining += _state == RebuildStatus.Types.State.Done ? 0 : lag;
            }

            return status;
        }
    }

    private void Set(RebuildStatus.Types.State state, long finishedMs, string error)
    {
        lock (_lock)
        {
            _state = state;
            _finishedMs = finishedMs;
            _error = error;
        }
    }
}
