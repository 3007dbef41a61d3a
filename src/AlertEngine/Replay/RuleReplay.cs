using Confluent.Kafka;
using Convoy.AlertEngine.Alerts;
using Convoy.AlertEngine.Consumption;
using Convoy.AlertEngine.Evaluation;
using Convoy.AlertEngine.Rules;
using Convoy.Contracts;
using Convoy.Contracts.Alerts.V1;
using Convoy.Kafka;

namespace Convoy.AlertEngine.Replay;

/// <summary>What a rule replay is asked to do.</summary>
/// <param name="Tenant">Whose telemetry topic is read.</param>
/// <param name="Rules">The changed rules, run instead of the tenant's live ones.</param>
/// <param name="FromMs">The first record read is the first the collector took at or after this time.</param>
/// <param name="ToMs">Records the collector took after this time are not read; the replay's clock ends here.</param>
/// <param name="Run">The run's name: the alerts go to <c>alerts-replay.&lt;tenant&gt;.&lt;run&gt;</c>.</param>
internal sealed record ReplayRequest(string Tenant, TenantRules Rules, long FromMs, long ToMs, string Run)
{
    /// <summary>The replay's own topic, named so nobody mistakes it for the live alerts.</summary>
    public string AlertTopic => $"alerts-replay.{Tenant}.{Run}";
}

/// <summary>What a rule replay did.</summary>
internal sealed class ReplayReport
{
    public long Records { get; set; }

    public long Evaluated { get; set; }

    public long Skipped { get; set; }

    /// <summary>Alerts written, by (rule, state).</summary>
    public SortedDictionary<(string Rule, AlertState State), int> Alerts { get; } = [];

    public int AlertCount => Alerts.Values.Sum();
}

/// <summary>
/// Runs a tenant's changed rules over a past time range of its telemetry topic and writes the
/// alerts they raise to a topic of the run's own (<see cref="ReplayRequest.AlertTopic"/>): "what
/// would the new threshold have raised last week?". It reads the topic by assignment (no consumer
/// group joins, no offset is committed) and keeps its rule state in memory, so the live engine's
/// alerts, its state topic and its group's offsets are never touched.
/// </summary>
/// <remarks>
/// It is the live engine's own <see cref="BatchEvaluator"/> with the live engine's lateness and
/// clock-skew settings, not a second implementation. The engine's clock, which decides silent
/// devices and releases batches held for lateness, is replaced by the replay's clock: the time the
/// collector took the record being evaluated. At the end the clock moves to the end of the range
/// (plus the lateness), so silences and held batches due by then are decided as the live engine
/// would have decided them. Rule state starts empty at the start of the range: a condition already
/// running then starts its duration there.
/// </remarks>
internal sealed class RuleReplay
{
    private static readonly TimeSpan KafkaTimeout = TimeSpan.FromSeconds(15);
    private readonly KafkaCluster _cluster;
    private readonly AlertProducer _producer;
    private readonly AlertEngineOptions _options;

    public RuleReplay(KafkaCluster cluster, AlertProducer producer, AlertEngineOptions options)
    {
        _cluster = cluster;
        _producer = producer;
        _options = options;
    }

    /// <summary>Replays the range; <paramref name="progress"/> is told how far it is, about once a second and at the end.</summary>
    /// <exception cref="ReplayException">The tenant has no telemetry topic, or Kafka did not answer.</exception>
    public async Task<ReplayReport> RunAsync(ReplayRequest request, Action<string> progress, CancellationToken cancellationToken)
    {
        string topic = TelemetryRecordHeaders.TelemetryTopic(request.Tenant);
        using var consumer = new ConsumerBuilder<Ignore, byte[]>(_cluster.CreateReaderConfig("convoy-rule-replay-" + request.Run)).SetLogHandler((_, _) => { }).Build();
        var range = Plan(consumer, topic, request.FromMs);
        var report = new ReplayReport();
        if (range.Count == 0)
        {
            progress($"{topic}: no record at or after the start of the range");
            return report;
        }

        var clock = new ReplayClock(request.FromMs);
        var evaluator = new BatchEvaluator(new RuleCatalog(request.Rules), clock, _options.AllowedLateness, maxClockSkew: _options.MaxClockSkew);
        var raised = new List<Alert>();
        consumer.Assign(range.Select(static p => new TopicPartitionOffset(p.Key, p.Value.Start)));
        var open = new HashSet<TopicPartition>(range.Keys);
        long lastProgress = Environment.TickCount64;
        while (open.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            ConsumeResult<Ignore, byte[]> record;
            try
            {
                record = consumer.Consume(TimeSpan.FromMilliseconds(500));
            }
            catch (ConsumeException e)
            {
                throw new ReplayException($"reading {topic} failed: {e.Error.Reason}");
            }

            if (record?.Message is null)
            {
                // Nothing came: a partition whose last offsets hold no record for a consumer (a
                // transaction's markers, say) is done once its position has reached the end.
                foreach (var partition in open.Where(p => consumer.Position(p).Value >= range[p].End).ToList())
                {
                    Close(consumer, open, partition);
                }
            }
            else
            {
                var partition = record.TopicPartition;
                long taken = record.Message.Timestamp.UnixTimestampMs;
                if (taken > request.ToMs)
                {
                    Close(consumer, open, partition); // past the range: the partition's part is done
                }
                else if (taken >= request.FromMs) // earlier ones are read only where the cluster could not look up the time
                {
                    report.Records++;
                    await EvaluateAsync(request, record, taken, clock, evaluator, raised, report, cancellationToken);
                }

                if (record.Offset.Value + 1 >= range[partition].End)
                {
                    Close(consumer, open, partition);
                }
            }

            if (Environment.TickCount64 - lastProgress >= 1000 || open.Count == 0)
            {
                lastProgress = Environment.TickCount64;
                progress(Progress(consumer, range, report));
            }
        }

        // The clock runs on to the end of the range: silences due by then fire, held batches are applied.
        raised.Clear();
        clock.MoveTo(request.ToMs + (long)_options.AllowedLateness.TotalMilliseconds);
        evaluator.Tick(raised, released: null);
        await WriteAsync(request, raised, report, cancellationToken);
        return report;
    }

    /// <summary>Runs one record through the rules on the replay's clock, and writes what it raised.</summary>
    private async Task EvaluateAsync(ReplayRequest request, ConsumeResult<Ignore, byte[]> record, long taken, ReplayClock clock, BatchEvaluator evaluator,
        List<Alert> raised, ReplayReport report, CancellationToken cancellationToken)
    {
        raised.Clear();
        if (!TelemetryRecords.TryRead(record, out string tenant, out var source, out _) || tenant != request.Tenant)
        {
            report.Skipped++; // as the live engine: nothing is done on the word of a record the collector did not write
            return;
        }

        clock.MoveTo(source.ReceivedAtMs > 0 ? source.ReceivedAtMs : taken);
        evaluator.Tick(raised, released: null);
        var position = new RecordPosition(record.Topic, record.Partition.Value, record.Offset.Value);
        var outcome = evaluator.Offer(tenant, record.Message.Value, position, raised, released: null, out _, out _, source);
        if (outcome is BatchOutcome.Evaluated or BatchOutcome.Held)
        {
            report.Evaluated++;
        }
        else
        {
            report.Skipped++;
        }

        await WriteAsync(request, raised, report, cancellationToken);
    }

    /// <summary>Per partition, the first offset at or after <paramref name="fromMs"/> and the end as it is now (<see cref="TopicRange"/>).</summary>
    private Dictionary<TopicPartition, (Offset Start, long End)> Plan(IConsumer<Ignore, byte[]> consumer, string topic, long fromMs)
    {
        try
        {
            return TopicRange.Plan(TopicRange.Topics(_cluster, KafkaTimeout), consumer, topic, fromMs, KafkaTimeout)
                ?? throw new ReplayException($"there is no topic {topic} at {_cluster.BootstrapServers}: is the tenant's name right, and has it sent anything?");
        }
        catch (KafkaException e)
        {
            throw new ReplayException($"Kafka at {_cluster.BootstrapServers} did not answer: {e.Error.Reason}");
        }
    }

    private async Task WriteAsync(ReplayRequest request, List<Alert> raised, ReplayReport report, CancellationToken cancellationToken)
    {
        foreach (var alert in raised)
        {
            try
            {
                await _producer.WriteAsync(request.AlertTopic, alert, trace: null, cancellationToken);
            }
            catch (KafkaException e)
            {
                throw new ReplayException($"writing to {request.AlertTopic} failed: {e.Error.Reason}");
            }

            var key = (alert.RuleId, alert.State);
            report.Alerts[key] = report.Alerts.GetValueOrDefault(key) + 1;
        }
    }

    private static void Close(IConsumer<Ignore, byte[]> consumer, HashSet<TopicPartition> open, TopicPartition partition)
    {
        if (open.Remove(partition))
        {
            consumer.Pause([partition]);
        }
    }

    private static string Progress(IConsumer<Ignore, byte[]> consumer, Dictionary<TopicPartition, (Offset Start, long End)> range, ReplayReport report)
    {
        long total = range.Values.Sum(static p => p.End - p.Start.Value);
        long done = 0;
        foreach (var (partition, (start, end)) in range)
        {
            long position = consumer.Position(partition).Value;
            done += position < 0 ? 0 : Math.Min(position, end) - start.Value;
        }

        return $"{done} of {total} records ({(total == 0 ? 100 : done * 100 / total)} %), {report.AlertCount} alert(s) so far";
    }

    /// <summary>The engine's clock during a replay: the time the collector took the record being evaluated; it never goes back.</summary>
    private sealed class ReplayClock(long startMs) : TimeProvider
    {
        private long _nowMs = startMs;

        public void MoveTo(long ms) => _nowMs = Math.Max(_nowMs, ms);

        public override DateTimeOffset GetUtcNow() => DateTimeOffset.FromUnixTimeMilliseconds(_nowMs);
    }
}

/// <summary>A replay could not be done; the message says why, for the operator.</summary>
internal sealed class ReplayException(string message) : Exception(message);
