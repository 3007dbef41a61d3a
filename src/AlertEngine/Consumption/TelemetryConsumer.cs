using System.Text;
using Confluent.Kafka;
using Convoy.AlertEngine.Alerts;
using Convoy.AlertEngine.Evaluation;
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
internal sealed class TelemetryConsumer : BackgroundService
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);
    private readonly KafkaCluster _cluster;
    private readonly AlertProducer _alerts;
    private readonly AlertEngineOptions _options;
    private readonly AlertEngineMetrics _metrics;
    private readonly ILogger<TelemetryConsumer> _logger;

    public TelemetryConsumer(KafkaCluster cluster, AlertProducer alerts, IOptions<AlertEngineOptions> options, AlertEngineMetrics metrics, ILogger<TelemetryConsumer> logger)
    {
        _cluster = cluster;
        _alerts = alerts;
        _options = options.Value;
        _metrics = metrics;
        _logger = logger;
    }

    // Consume blocks, so the loop gets a thread of its own rather than a pool thread.
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.Factory.StartNew(() => Run(stoppingToken), stoppingToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private void Run(CancellationToken stoppingToken)
    {
        var evaluator = new BatchEvaluator(_options);
        var raised = new List<Alert>();
        using var consumer = new ConsumerBuilder<Ignore, byte[]>(_cluster.CreateConsumerConfig(_options.GroupId, "convoy-alert-engine"))
            .SetErrorHandler((_, error) => AlertEngineLog.ConsumeFailed(_logger, error.Reason))
            .SetLogHandler((_, _) => { })
            .Build();
        consumer.Subscribe(_options.TopicPattern);
        AlertEngineLog.Started(_logger, _options.TopicPattern, _options.GroupId, _cluster.BootstrapServers, _options.RuleCount);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                ConsumeResult<Ignore, byte[]> record;
                try
                {
                    record = consumer.Consume(stoppingToken);
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

                Process(record, evaluator, raised, stoppingToken);
                consumer.StoreOffset(record);
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

    private void Process(ConsumeResult<Ignore, byte[]> record, BatchEvaluator evaluator, List<Alert> raised, CancellationToken stoppingToken)
    {
        // The tenant is the one the collector authenticated, in the record's header. In a
        // per-tenant topic it must also match the topic: if it did not, something other than the
        // collector wrote there, and nothing is done on its word.
        string topic = record.Topic;
        if (!record.Message.Headers.TryGetLastBytes(TelemetryRecordHeaders.Tenant, out byte[] header))
        {
            AlertEngineLog.UnreadableRecord(_logger, topic, record.Partition.Value, record.Offset.Value, "it has no convoy-tenant header");
            return;
        }

        string tenant = Encoding.UTF8.GetString(header);
        if (topic.StartsWith("telemetry.", StringComparison.Ordinal) && topic != TelemetryRecordHeaders.TelemetryTopic(tenant))
        {
            AlertEngineLog.UnreadableRecord(_logger, topic, record.Partition.Value, record.Offset.Value, "its tenant header does not match the topic");
            return;
        }

        raised.Clear();
        if (!evaluator.Evaluate(tenant, record.Message.Value, raised, out int late, out string? problem))
        {
            if (problem is not null)
            {
                AlertEngineLog.UnreadableRecord(_logger, topic, record.Partition.Value, record.Offset.Value, problem);
            }
            else
            {
                _metrics.Duplicate(tenant);
            }

            return;
        }

        _metrics.Evaluated(tenant, late);
        foreach (var alert in raised)
        {
            Write(alert, stoppingToken);
            _metrics.Alert(tenant, alert.State);
            AlertEngineLog.AlertRaised(_logger, alert.AlertId, alert.State, tenant, alert.DeviceId, alert.RuleId, alert.Message);
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
