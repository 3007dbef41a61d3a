using System.Text;
using Confluent.Kafka;
using Convoy.AlertEngine.Alerts;
using Convoy.AlertEngine.Evaluation;
using Convoy.AlertEngine.Rules;
using Convoy.Contracts;
using Convoy.Contracts.Alerts.V1;
using Convoy.Kafka;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
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
/// </remarks>
internal sealed class TelemetryConsumer : BackgroundService
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan TickInterval = TimeSpan.FromMilliseconds(250);
    private readonly KafkaCluster _cluster;
    private readonly AlertProducer _alerts;
    private readonly AlertEngineOptions _options;
    private readonly RuleCatalog _rules;
    private readonly TimeProvider _time;
    private readonly AlertEngineMetrics _metrics;
    private readonly ILogger<TelemetryConsumer> _logger;
    private readonly Dictionary<TopicPartition, SortedSet<long>> _held = [];
    private readonly Dictionary<TopicPartition, long> _next = [];

    public TelemetryConsumer(KafkaCluster cluster, AlertProducer alerts, IOptions<AlertEngineOptions> options, RuleCatalog rules, TimeProvider time,
        AlertEngineMetrics metrics, ILogger<TelemetryConsumer> logger)
    {
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
        var evaluator = new BatchEvaluator(_rules, _time, _options.AllowedLateness, _metrics.LateReadings);
        var raised = new List<Alert>();
        var released = new List<RecordPosition>();
        using var consumer = new ConsumerBuilder<Ignore, byte[]>(_cluster.CreateConsumerConfig(_options.GroupId, "convoy-alert-engine"))
            .SetErrorHandler((_, error) => AlertEngineLog.ConsumeFailed(_logger, error.Reason))
            .SetLogHandler((_, _) => { })
            .SetPartitionsRevokedHandler((_, revoked) => Forget(evaluator, revoked))
            .SetPartitionsLostHandler((_, lost) => Forget(evaluator, lost))
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
                Publish(raised, stoppingToken);
                if (released.Count > 0 || late > 0)
                {
                    Released(consumer, released);
                }

                ConsumeResult<Ignore, byte[]> record;
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
                    continue;
                }

                if (Process(record, evaluator, raised, released, stoppingToken))
                {
                    Held(record);
                }
                else if (_held.Count == 0)
                {
                    consumer.StoreOffset(record);
                }
                else
                {
                    _next[record.TopicPartition] = record.Offset.Value + 1;
                    Released(consumer, [record.TopicPartition]);
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
            consumer.Close(); // commits stored offsets and leaves the group at once
        }
    }

    /// <summary>Evaluates one record and writes the alerts it caused; true when the evaluator holds it for later.</summary>
    private bool Process(ConsumeResult<Ignore, byte[]> record, BatchEvaluator evaluator, List<Alert> raised, List<RecordPosition> released, CancellationToken stoppingToken)
    {
        // The tenant is the one the collector authenticated, in the record's header. In a
        // per-tenant topic it must also match the topic: if it did not, something other than the
        // collector wrote there, and nothing is done on its word.
        string topic = record.Topic;
        if (!record.Message.Headers.TryGetLastBytes(TelemetryRecordHeaders.Tenant, out byte[] header))
        {
            AlertEngineLog.UnreadableRecord(_logger, topic, record.Partition.Value, record.Offset.Value, "it has no convoy-tenant header");
            return false;
        }

        string tenant = Encoding.UTF8.GetString(header);
        if (topic.StartsWith("telemetry.", StringComparison.Ordinal) && topic != TelemetryRecordHeaders.TelemetryTopic(tenant))
        {
            AlertEngineLog.UnreadableRecord(_logger, topic, record.Partition.Value, record.Offset.Value, "its tenant header does not match the topic");
            return false;
        }

        raised.Clear();
        var position = new RecordPosition(topic, record.Partition.Value, record.Offset.Value);
        var outcome = evaluator.Offer(tenant, record.Message.Value, position, raised, released, out int late, out string? problem);
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
                ulong sequence = record.Message.Headers.TryGetLastBytes(TelemetryRecordHeaders.Sequence, out byte[] s) && s.Length == 8 ? System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(s) : 0;
                _metrics.LateBatch(tenant, late);
                AlertEngineLog.LateBatchDropped(_logger, tenant, device, sequence, topic, record.Partition.Value, record.Offset.Value, late);
                break;
            }

            default:
                _metrics.Evaluated(tenant, late);
                break;
        }

        Publish(raised, stoppingToken);
        return outcome == BatchOutcome.Held;
    }

    private void Publish(List<Alert> raised, CancellationToken stoppingToken)
    {
        foreach (var alert in raised)
        {
            Write(alert, stoppingToken);
            _metrics.Alert(alert.TenantId, alert.State);
            AlertEngineLog.AlertRaised(_logger, alert.AlertId, alert.State, alert.TenantId, alert.DeviceId, alert.RuleId, alert.Message);
        }
    }

    private void Held(ConsumeResult<Ignore, byte[]> record)
    {
        if (!_held.TryGetValue(record.TopicPartition, out var offsets))
        {
            _held[record.TopicPartition] = offsets = [];
        }

        offsets.Add(record.Offset.Value);
        _next[record.TopicPartition] = record.Offset.Value + 1;
    }

    /// <summary>Held records were applied: store each touched partition's offset up to its oldest record still held.</summary>
    private void Released(IConsumer<Ignore, byte[]> consumer, List<RecordPosition> released)
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

    private void Released(IConsumer<Ignore, byte[]> consumer, List<TopicPartition> partitions)
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

            try
            {
                consumer.StoreOffset(new TopicPartitionOffset(partition, new Offset(next)));
            }
            catch (KafkaException e)
            {
                // The partition was revoked meanwhile: its new owner starts from the committed offset.
                AlertEngineLog.ConsumeFailed(_logger, $"storing the offset of {partition}: {e.Error.Reason}");
            }
        }
    }

    private void Forget(BatchEvaluator evaluator, List<TopicPartitionOffset> partitions)
    {
        foreach (var p in partitions)
        {
            evaluator.DropHeld(p.Topic, p.Partition.Value);
            _held.Remove(p.TopicPartition);
            _next.Remove(p.TopicPartition);
        }
    }

    private void Write(Alert alert, CancellationToken stoppingToken)
    {
        while (true)
        {
            try
            {
                // On the consumer's own thread: blocking here is the backpressure.
                _alerts.WriteAsync(alert, stoppingToken).GetAwaiter().GetResult();
                return;
            }
            catch (KafkaException e)
            {
                AlertEngineLog.AlertWriteFailed(_logger, alert.AlertId, e.Error.Reason);
                stoppingToken.WaitHandle.WaitOne(RetryDelay);
                stoppingToken.ThrowIfCancellationRequested();
            }
        }
    }
}
