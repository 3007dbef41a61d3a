using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Confluent.Kafka;
using Convoy.Contracts;
using Convoy.Contracts.Alerts.V1;
using Convoy.Kafka;
using Google.Protobuf;

namespace Convoy.AlertEngine.Alerts;

/// <summary>Writes alerts to <c>alerts.&lt;tenant&gt;</c>, keyed by device, with the process's one idempotent producer.</summary>
/// <remarks>
/// The consume loop hands alerts over with <see cref="Send"/>, which does not wait, and waits for
/// all of them at its checkpoint with <see cref="Confirm"/>, before it writes the rule state and
/// stores offsets: one wait per checkpoint rather than one per alert, so an alert no longer stalls
/// the evaluation of the records behind it.
/// </remarks>
internal sealed class AlertProducer : IDisposable
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan StopWait = TimeSpan.FromSeconds(10);
    private readonly IProducer<string, byte[]> _producer;
    private readonly KafkaCluster _cluster;
    private readonly ILogger<AlertProducer> _logger;
    private readonly ConcurrentQueue<Refused> _refused = new();
    private int _unconfirmed;

    public AlertProducer(KafkaCluster cluster, ILogger<AlertProducer> logger)
    {
        _cluster = cluster;
        _logger = logger;
        _producer = new ProducerBuilder<string, byte[]>(cluster.CreateProducerConfig("convoy-alert-engine", lingerMs: 1))
            .SetErrorHandler((_, error) => AlertEngineLog.ConsumeFailed(logger, "alert producer: " + error.Reason))
            .SetLogHandler((_, _) => { })
            .Build();
    }

    /// <summary>Alerts handed over with <see cref="Send"/> since the last <see cref="Confirm"/>.</summary>
    public int Unconfirmed => _unconfirmed;

    /// <summary>
    /// Hands one alert to the producer without waiting for Kafka; <see cref="Confirm"/> waits for
    /// it. With <paramref name="trace"/> (the span of the record whose evaluation raised it) the
    /// record carries that span's context in its <see cref="TraceParent.Header"/> (and
    /// <see cref="TraceParent.StateHeader"/>) header: the alert is the end of its batch's trace,
    /// and whoever reads it can continue it. For the consume loop's thread only.
    /// </summary>
    public void Send(Alert alert, Activity? trace)
    {
        _unconfirmed++;
        Hand(new Pending(TelemetryRecordHeaders.AlertTopic(alert.TenantId), alert.AlertId, Message(alert, trace)));
    }

    /// <summary>
    /// Waits until Kafka has confirmed every alert handed over since the last call. One it refused
    /// is logged (<c>AlertWriteFailed</c>) and sent again a second later, until every one is
    /// confirmed. Once <paramref name="stoppingToken"/> is cancelled it waits once more, at most
    /// <see cref="StopWait"/> (as the rule state's last write does), so a clean stop still
    /// confirms what it sent; false when even that did not confirm them all (the caller then must
    /// not store the offsets of the records that raised them).
    /// </summary>
    public bool Confirm(CancellationToken stoppingToken)
    {
        while (true)
        {
            bool stopping = stoppingToken.IsCancellationRequested;
            bool flushed;
            if (stopping)
            {
                flushed = _producer.Flush(StopWait) == 0;
            }
            else
            {
                try
                {
                    _producer.Flush(stoppingToken);
                    flushed = true;
                }
                catch (OperationCanceledException)
                {
                    continue; // stopping: the bounded wait above
                }
            }

            if (flushed && _refused.IsEmpty)
            {
                _unconfirmed = 0;
                return true;
            }

            if (stopping)
            {
                return false;
            }

            var again = new List<Pending>();
            while (_refused.TryDequeue(out var refused))
            {
                AlertEngineLog.AlertWriteFailed(_logger, refused.Alert.AlertId, refused.Error);
                again.Add(refused.Alert);
            }

            stoppingToken.WaitHandle.WaitOne(RetryDelay);
            foreach (var pending in again)
            {
                Hand(pending);
            }
        }
    }

    /// <summary>Writes one alert to <paramref name="topic"/> (a rule replay's own topic) and returns once Kafka confirmed it (or throws).</summary>
    public async Task WriteAsync(string topic, Alert alert, Activity? trace, CancellationToken cancellationToken)
    {
        await _cluster.EnsureTopicAsync(topic, cancellationToken);
        await _producer.ProduceAsync(topic, Message(alert, trace), cancellationToken);
    }

    private void Hand(Pending pending)
    {
        try
        {
            _cluster.EnsureTopicAsync(pending.Topic).GetAwaiter().GetResult();
            _producer.ProduceWhenRoom(pending.Topic, pending.Message, report =>
            {
                if (report.Error.IsError)
                {
                    _refused.Enqueue(new Refused(pending, report.Error.Reason));
                }
            });
        }
        catch (KafkaException e)
        {
            _refused.Enqueue(new Refused(pending, e.Error.Reason));
        }
    }

    private static Message<string, byte[]> Message(Alert alert, Activity? trace)
    {
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

        return message;
    }

    public void Dispose()
    {
        _producer.Flush(TimeSpan.FromSeconds(10));
        _producer.Dispose();
    }

    private sealed record Pending(string Topic, string AlertId, Message<string, byte[]> Message);

    private sealed record Refused(Pending Alert, string Error);
}
