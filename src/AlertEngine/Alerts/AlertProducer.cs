using System.Diagnostics;
using System.Text;
using Confluent.Kafka;
using Convoy.Contracts;
using Convoy.Contracts.Alerts.V1;
using Convoy.Kafka;
using Google.Protobuf;

namespace Convoy.AlertEngine.Alerts;

/// <summary>Writes alerts to <c>alerts.&lt;tenant&gt;</c>, keyed by device, with the process's one idempotent producer.</summary>
internal sealed class AlertProducer : IDisposable
{
    private readonly IProducer<string, byte[]> _producer;
    private readonly KafkaCluster _cluster;

    public AlertProducer(KafkaCluster cluster, ILogger<AlertProducer> logger)
    {
        _cluster = cluster;
        _producer = new ProducerBuilder<string, byte[]>(cluster.CreateProducerConfig("convoy-alert-engine", lingerMs: 1))
            .SetErrorHandler((_, error) => AlertEngineLog.ConsumeFailed(logger, "alert producer: " + error.Reason))
            .SetLogHandler((_, _) => { })
            .Build();
    }

    /// <summary>
    /// Writes one alert and returns once Kafka confirmed it (or throws). With <paramref name="trace"/>
    /// (the span of the record whose evaluation raised it) the record carries that span's context in
    /// its <see cref="TraceParent.Header"/> (and <see cref="TraceParent.StateHeader"/>) header: the
    /// alert is the end of its batch's trace, and whoever reads it can continue it.
    /// </summary>
    public Task WriteAsync(Alert alert, Activity? trace, CancellationToken cancellationToken) =>
        WriteAsync(TelemetryRecordHeaders.AlertTopic(alert.TenantId), alert, trace, cancellationToken);

    /// <summary>Writes one alert to <paramref name="topic"/> (a rule replay's own topic), as <see cref="WriteAsync(Alert, Activity?, CancellationToken)"/> does.</summary>
    public async Task WriteAsync(string topic, Alert alert, Activity? trace, CancellationToken cancellationToken)
    {
        await _cluster.EnsureTopicAsync(topic, cancellationToken);
        var message = new Message<string, byte[]> { Key = alert.DeviceId, Value = alert.ToByteArray() };
        if (trace is not null)
        {
            byte[] traceparent = new byte[TraceParent.Length];
            TraceParent.Write(trace.Context, traceparent);
            message.Headers = new Headers { { TraceParent.Header, traceparent } };
            if (trace.TraceStateString is { Length: > 0 } state)
            {
                message.Headers.Add(TraceParent.StateHeader, Encoding.UTF8.GetBytes(state));
            }
        }

        await _producer.ProduceAsync(topic, message, cancellationToken);
    }

    public void Dispose()
    {
        _producer.Flush(TimeSpan.FromSeconds(10));
        _producer.Dispose();
    }
}
