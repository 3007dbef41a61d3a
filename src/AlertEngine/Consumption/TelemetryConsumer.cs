using System.Text;
using Confluent.Kafka;
using Convoy.AlertEngine.Alerts;
using Convoy.AlertEngine.Evaluation;
using Convoy.AlertEngine.Rules;
using Convoy.AlertEngine.State;
using Convoy.Contracts;
using Convoy.Contracts.Alerts.V1;
using Convoy.Kafka;
using Convoy.Tracing;
using Microsoft.Extensions.Options;

namespace Convoy.AlertEngine.Consumption;

/// <summary>
/// Consumes every tenant's telemetry topic as one consumer group member, evaluates each batch, and
/// stores a record's offset only after the alerts it caused are confirmed by Kafka (at least once;
/// alert ids are deterministic, so a redelivered alert is the same alert).
/// </summary>
/// <remarks>
/// The loop waits for a record at most <see cref="TickInterval"/>, so the clock's decisions
/// (silent devices, held batches whose lateness has passed: <see cref="BatchEvaluator.Tick"/>) are
/// made even when no record arrives. With an allowed lateness a record may be held: a partition's
/// offset is then stored only up to its oldest record still held, so a crash or rebalance reads the
/// held records again rather than losing them.
/// <para>
/// Rule state: offsets are not stored record by record but at checkpoints (idle, every
/// <see cref="AlertEngineOptions.CheckpointRecords"/> records, or every second): the state of every
/// device changed since the last checkpoint is written to the state topic and confirmed first, then
/// the offsets are stored. So a committed offset never runs ahead of the state that reflects its
/// records. A newly assigned partition's devices get their state from the state topic before its
/// first record is evaluated; a revoked partition is checkpointed before it is given up, then
/// forgotten. Alerts precede both: they are sent as they are raised, without waiting, and the
/// checkpoint first waits until Kafka has confirmed every one of them.
/// </para>
/// </remarks>
internal sealed class TelemetryConsumer : BackgroundService
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan TickInterval = TimeSpan.FromMilliseconds(250);
    private const long CheckpointIntervalMs = 1000;
    private const int LoadAttempts = 3;
    private const int MaxUnconfirmedAlerts = 10_000; // a checkpoint sooner, so a storm of alerts does not pile up in the producer
    private readonly KafkaCluster _cluster;
    private readonly AlertProducer _alerts;
    private readonly AlertEngineOptions _options;
    private readonly RuleCatalog _rules;
    private readonly TimeProvider _time;
    private readonly AlertEngineMetrics _metrics;
    private readonly ILogger<TelemetryConsumer> _logger;
    private readonly Dictionary<TopicPartition, SortedSet<long>> _held = [];
    private readonly Dictionary<TopicPartition, long> _next = [];
    private readonly RuleStateStore _state;
    private readonly Dictionary<TopicPartition, long> _toStore = []; // offsets to store at the next checkpoint
    private TopicPartition? _lastPartition;
    private readonly List<DeviceRuleState> _snapshots = [];
    private int _sinceCheckpoint;
    private readonly ConsumerLag _lag;
    private long _lastCheckpointMs;
    private bool _idle;
    private readonly bool _rootSampling;

    public TelemetryConsumer(KafkaCluster cluster, AlertProducer alerts, RuleStateStore state, IOptions<AlertEngineOptions> options, RuleCatalog rules,
        TimeProvider time, AlertEngineMetrics metrics, ConsumerLag lag, IOptions<OtlpOptions> tracing, ILogger<TelemetryConsumer> logger)
    {
        _rootSampling = tracing.Value.IsOn && tracing.Value.SampleRatio > 0;
        _lag = lag;
        _state = state;
        _cluster = cluster;
        _alerts = alerts;
        _options = options.Value;
        _rules = rules;
        _time = time;
        _metrics = metrics;
        _logger = logger;
    }

    // Consume blocks, so the loop gets a thread of its own rather than a pool thread.
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.Factory.StartNew(() => Run(stoppingToken), stoppingToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private void Run(CancellationToken stoppingToken)
    {
        var evaluator = new BatchEvaluator(_rules, _time, _options.AllowedLateness, _metrics.LateReadings, _options.MaxClockSkew);
        var raised = new List<Alert>();
        var released = new List<RecordPosition>();
        using var consumer = new ConsumerBuilder<Ignore, ReusedValue>(_cluster.CreateConsumerConfig(_options.GroupId, "convoy-alert-engine"))
            .SetValueDeserializer(new ReusedValue.Reader()) // each record is evaluated (and a held one copied) before the next is taken
            .SetErrorHandler((_, error) => AlertEngineLog.ConsumeFailed(_logger, error.Reason))
            .SetLogHandler((_, _) => { })
            .SetPartitionsAssignedHandler((_, assigned) => Assigned(evaluator, assigned, stoppingToken))
            .SetPartitionsRevokedHandler((c, revoked) => Revoked(c, evaluator, revoked, stoppingToken))
            .SetPartitionsLostHandler((_, lost) => Forget(evaluator, lost, "lost"))
            .Build();
        consumer.Subscribe(_options.TopicPattern);
        AlertEngineLog.Started(_logger, _options.TopicPattern, _options.GroupId, _cluster.BootstrapServers, _rules.Defaults.Count);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                raised.Clear();
                released.Clear();
                int late = evaluator.Tick(raised, released);
                Publish(raised);
                if (released.Count > 0 || late > 0)
                {
                    Released(consumer, released);
                }

                if (_idle || _sinceCheckpoint >= _options.CheckpointRecords || _alerts.Unconfirmed >= MaxUnconfirmedAlerts
                    || Environment.TickCount64 - _lastCheckpointMs >= CheckpointIntervalMs)
                {
                    Checkpoint(consumer, evaluator, stoppingToken);
                }

                _idle = false;
                ConsumeResult<Ignore, ReusedValue> record;
                try
                {
                    record = consumer.Consume(TickInterval);
                }
                catch (ConsumeException e) when (e.Error.Code == ErrorCode.UnknownTopicOrPart)
                {
                    // A pattern that matches no topic yet (no tenant has sent anything): not an error.
                    continue;
                }
                catch (ConsumeException e)
                {
                    AlertEngineLog.ConsumeFailed(_logger, e.Error.Reason);
                    continue;
                }

                if (record?.Message is null)
                {
                    _idle = record is null;
                    continue;
                }

                _sinceCheckpoint++;

                if (Process(record, evaluator, raised, released, stoppingToken))
                {
                    Held(record);
                }
                else if (_held.Count == 0)
                {
                    _toStore[PartitionOf(record)] = record.Offset.Value + 1;
                }
                else
                {
                    _next[PartitionOf(record)] = record.Offset.Value + 1;
                    Released(consumer, [PartitionOf(record)]);
                }

                if (released.Count > 0)
                {
                    Released(consumer, released);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
        finally
        {
            // Close revokes every partition (checkpointed in Revoked), commits and leaves the group at once.
            consumer.Close();
        }
    }

    /// <summary>Evaluates one record and writes the alerts it caused; true when the evaluator holds it for later.</summary>
    private bool Process(ConsumeResult<Ignore, ReusedValue> record, BatchEvaluator evaluator, List<Alert> raised, List<RecordPosition> released, CancellationToken stoppingToken)
    {
        // The tenant is the one the collector authenticated, in the record's header; in a
        // per-tenant topic it must also match the topic.
        string topic = record.Topic;
        if (!TelemetryRecords.TryRead(record, out string tenant, out var source, out string? refused))
        {
            AlertEngineLog.UnreadableRecord(_logger, topic, record.Partition.Value, record.Offset.Value, refused!);
            return false;
        }

        raised.Clear();
        using var trace = EvaluationTrace.Start(record, tenant, _rootSampling);
        var position = new RecordPosition(topic, record.Partition.Value, record.Offset.Value);
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        var outcome = evaluator.Offer(tenant, record.Message.Value.Span, position, raised, released, out int late, out string? problem, source);
        _metrics.EvaluationTook(tenant, System.Diagnostics.Stopwatch.GetElapsedTime(started));
        switch (outcome)
        {
            case BatchOutcome.Unreadable:
                AlertEngineLog.UnreadableRecord(_logger, topic, record.Partition.Value, record.Offset.Value, problem ?? "unreadable");
                break;
            case BatchOutcome.Duplicate:
                _metrics.Duplicate(tenant);
                break;
            case BatchOutcome.TooLate:
            {
                string device = record.Message.Headers.TryGetLastBytes(TelemetryRecordHeaders.Device, out byte[] d) ? Encoding.UTF8.GetString(d) : "?";
                ulong sequence = record.Message.Headers.TryGetLastBytes(TelemetryRecordHeaders.Sequence, out byte[] q) && q.Length == 8 ? System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(q) : 0;
                _metrics.LateBatch(tenant, late);
                AlertEngineLog.LateBatchDropped(_logger, tenant, device, sequence, topic, record.Partition.Value, record.Offset.Value, late);
                break;
            }

            case BatchOutcome.TooFarAhead:
            {
                string device = record.Message.Headers.TryGetLastBytes(TelemetryRecordHeaders.Device, out byte[] d) ? Encoding.UTF8.GetString(d) : "?";
                ulong sequence = record.Message.Headers.TryGetLastBytes(TelemetryRecordHeaders.Sequence, out byte[] q) && q.Length == 8 ? System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(q) : 0;
                _metrics.AheadBatch(tenant);
                AlertEngineLog.AheadBatchDropped(_logger, tenant, device, sequence, topic, record.Partition.Value, record.Offset.Value);
                break;
            }

            default:
                _metrics.Evaluated(tenant, late);
                break;
        }

        EvaluationTrace.Outcome(trace, outcome, raised.Count);
        Publish(raised, trace);
        return outcome == BatchOutcome.Held;
    }

    /// <summary>Writes the alerts; with <paramref name="trace"/> (the span of the record that raised them) each carries its context.</summary>
    private void Publish(List<Alert> raised, System.Diagnostics.Activity? trace = null)
    {
        foreach (var alert in raised)
        {
            _alerts.Send(alert, trace);
            _metrics.Alert(alert.TenantId, alert.State);
            AlertEngineLog.AlertRaised(_logger, alert.AlertId, alert.State, alert.TenantId, alert.DeviceId, alert.RuleId, alert.Message);
        }
    }

    private void Held(ConsumeResult<Ignore, ReusedValue> record)
    {
        if (!_held.TryGetValue(PartitionOf(record), out var offsets))
        {
            _held[PartitionOf(record)] = offsets = [];
        }

        offsets.Add(record.Offset.Value);
        _next[PartitionOf(record)] = record.Offset.Value + 1;
    }

    /// <summary>
    /// The record's partition as a key, reusing the previous record's when it is the same one
    /// (librdkafka hands over a fetched partition's records one after another), rather than a new
    /// <see cref="TopicPartition"/> per record.
    /// </summary>
    private TopicPartition PartitionOf(ConsumeResult<Ignore, ReusedValue> record)
    {
        var last = _lastPartition;
        if (last is null || last.Partition.Value != record.Partition.Value || !string.Equals(last.Topic, record.Topic, StringComparison.Ordinal))
        {
            _lastPartition = last = record.TopicPartition;
        }

        return last;
    }

    /// <summary>Held records were applied: store each touched partition's offset up to its oldest record still held.</summary>
    private void Released(IConsumer<Ignore, ReusedValue> consumer, List<RecordPosition> released)
    {
        var touched = new List<TopicPartition>();
        foreach (var position in released)
        {
            var partition = new TopicPartition(position.Topic, new Partition(position.Partition));
            if (_held.TryGetValue(partition, out var offsets))
            {
                offsets.Remove(position.Offset);
            }

            touched.Add(partition);
        }

        Released(consumer, touched);
    }

    private void Released(IConsumer<Ignore, ReusedValue> consumer, List<TopicPartition> partitions)
    {
        foreach (var partition in partitions)
        {
            if (!_next.TryGetValue(partition, out long next))
            {
                continue;
            }

            if (_held.TryGetValue(partition, out var offsets) && offsets.Count > 0)
            {
                next = offsets.Min;
            }
            else
            {
                _held.Remove(partition);
            }

            _toStore[partition] = next;
        }
    }

    /// <summary>
    /// Waits for Kafka's confirmation of the alerts sent since the last checkpoint, then writes the
    /// state of every device changed since then and, once Kafka confirmed it, stores the offsets of
    /// the records it reflects. While the state is not confirmed nothing
    /// is stored (the write is retried); when stopping, one try, and on failure the offsets stay
    /// unstored, so the records are read again (at least once).
    /// </summary>
    private void Checkpoint(IConsumer<Ignore, ReusedValue> consumer, BatchEvaluator evaluator, CancellationToken stoppingToken)
    {
        // At most a second apart, and on every idle tick: the lag and state-size gauges.
        _lag.Observe(consumer);
        _metrics.DevicesInState(evaluator.DeviceCount);
        _sinceCheckpoint = 0;
        _lastCheckpointMs = Environment.TickCount64;
        if (_alerts.Unconfirmed > 0 && !_alerts.Confirm(stoppingToken))
        {
            // Stopping, and Kafka did not confirm the alerts even then: neither the state that
            // follows from them nor the offsets of the records that raised them may be stored.
            _toStore.Clear();
            return;
        }

        if (evaluator.ChangedCount > 0)
        {
            _snapshots.Clear();
            evaluator.TakeChanged(_snapshots);
            while (!_state.TryWrite(_snapshots))
            {
                if (stoppingToken.IsCancellationRequested)
                {
                    _toStore.Clear();
                    _snapshots.Clear();
                    return;
                }

                stoppingToken.WaitHandle.WaitOne(RetryDelay);
            }

            _snapshots.Clear();
        }

        foreach (var (partition, next) in _toStore)
        {
            try
            {
                consumer.StoreOffset(new TopicPartitionOffset(partition, new Offset(next)));
            }
            catch (KafkaException e)
            {
                // The partition was lost meanwhile: its new owner starts from the committed offset.
                AlertEngineLog.ConsumeFailed(_logger, $"storing the offset of {partition}: {e.Error.Reason}");
            }
        }

        _toStore.Clear();
    }

    /// <summary>Newly assigned partitions: their devices' state comes from the state topic before their first record is evaluated.</summary>
    private void Assigned(BatchEvaluator evaluator, List<TopicPartition> assigned, CancellationToken stoppingToken)
    {
        if (assigned.Count == 0)
        {
            return;
        }

        for (int attempt = 1; ; attempt++)
        {
            try
            {
                int restored = 0;
                foreach (var state in _state.Load(assigned))
                {
                    if (evaluator.Restore(state))
                    {
                        restored++;
                    }
                }

                AlertEngineLog.StateLoaded(_logger, restored, _state.Topic, assigned.Count);
                return;
            }
            catch (Exception e) when (e is KafkaException or TimeoutException)
            {
                if (attempt >= LoadAttempts || stoppingToken.IsCancellationRequested)
                {
                    AlertEngineLog.StateLoadFailed(_logger, _state.Topic, assigned.Count, e.Message);
                    return;
                }

                stoppingToken.WaitHandle.WaitOne(RetryDelay);
            }
        }
    }

    /// <summary>Partitions given up in a rebalance (or on Close): checkpoint and commit them while still owned, then forget their devices.</summary>
    private void Revoked(IConsumer<Ignore, ReusedValue> consumer, BatchEvaluator evaluator, List<TopicPartitionOffset> revoked, CancellationToken stoppingToken)
    {
        Checkpoint(consumer, evaluator, stoppingToken);
        try
        {
            consumer.Commit();
        }
        catch (KafkaException e) when (e.Error.Code == ErrorCode.Local_NoOffset)
        {
            // Nothing stored since the last commit.
        }
        catch (KafkaException e)
        {
            AlertEngineLog.ConsumeFailed(_logger, "committing before the partitions are given up: " + e.Error.Reason);
        }

        Forget(evaluator, revoked, "revoked");
    }

    private void Forget(BatchEvaluator evaluator, List<TopicPartitionOffset> partitions, string how)
    {
        int devices = 0;
        foreach (var p in partitions)
        {
            devices += evaluator.Forget(p.Topic, p.Partition.Value);
            _lag.Remove(p.Topic, p.Partition.Value);
            _held.Remove(p.TopicPartition);
            _next.Remove(p.TopicPartition);
            _toStore.Remove(p.TopicPartition);
        }

        AlertEngineLog.PartitionsHandedOver(_logger, partitions.Count, how, devices);
    }
}
