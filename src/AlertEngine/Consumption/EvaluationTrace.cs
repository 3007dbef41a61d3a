using System.Diagnostics;
using System.Text;
using Confluent.Kafka;
using Convoy.AlertEngine.Evaluation;
using Convoy.Contracts;

namespace Convoy.AlertEngine.Consumption;

/// <summary>
/// The alert engine's span for one telemetry record, <c>evaluate batch</c>: a child of the
/// collector's span for the batch, whose context the record carries in its <c>traceparent</c>
/// header, so one batch's journey is one trace; an alert raised while evaluating it carries the
/// span's context on (<see cref="Alerts.AlertProducer"/>). Tracing is off unless
/// <c>Otlp:Endpoint</c> is set (src/Shared/OtlpTracing.cs): then nothing listens to
/// <see cref="Source"/>, and <see cref="Start"/> is one check that allocates nothing.
/// </summary>
internal static class EvaluationTrace
{
    public const string SourceName = "Convoy.AlertEngine";

    public static readonly ActivitySource Source = new(SourceName);

    /// <summary>
    /// Starts the span of a record: under the trace in its header when it has a valid one,
    /// otherwise a new trace when <paramref name="rootSampling"/> (Otlp:SampleRatio above 0) lets
    /// the sampler decide. Null when tracing is off or the record is not traced.
    /// </summary>
    public static Activity? Start<TValue>(ConsumeResult<Ignore, TValue> record, string tenant, bool rootSampling)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        var headers = record.Message.Headers;
        Activity? activity;
        if (headers.TryGetLastBytes(TraceParent.Header, out byte[] traceparent)
            && TraceParent.TryParse(traceparent, out var parent, headers.TryGetLastBytes(TraceParent.StateHeader, out byte[] state) ? Encoding.UTF8.GetString(state) : null))
        {
            activity = Source.StartActivity("evaluate batch", ActivityKind.Consumer, parent);
        }
        else if (rootSampling)
        {
            Activity.Current = null; // a trace of its own
            activity = Source.StartActivity("evaluate batch", ActivityKind.Consumer, default(ActivityContext));
        }
        else
        {
            return null;
        }

        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("messaging.system", "kafka");
            activity.SetTag("messaging.operation.type", "process");
            activity.SetTag("messaging.destination.name", record.Topic);
            activity.SetTag("messaging.destination.partition.id", record.Partition.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));
            activity.SetTag("messaging.kafka.offset", record.Offset.Value);
            activity.SetTag("convoy.tenant", tenant);
            if (headers.TryGetLastBytes(TelemetryRecordHeaders.Device, out byte[] device))
            {
                activity.SetTag("convoy.device", Encoding.UTF8.GetString(device));
            }

            if (headers.TryGetLastBytes(TelemetryRecordHeaders.Sequence, out byte[] sequence) && sequence.Length == 8)
            {
                activity.SetTag("convoy.batch.sequence", (long)System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(sequence));
            }
        }

        return activity;
    }

    /// <summary>What became of the record (evaluated, held, duplicate ...) and how many alert changes it raised, on its span.</summary>
    public static void Outcome(Activity? activity, BatchOutcome outcome, int alerts)
    {
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("convoy.batch.outcome", outcome switch
            {
                BatchOutcome.Evaluated => "evaluated",
                BatchOutcome.Duplicate => "duplicate",
                BatchOutcome.TooLate => "too-late",
                BatchOutcome.TooFarAhead => "too-far-ahead",
                BatchOutcome.Held => "held",
                _ => "unreadable",
            });
            activity.SetTag("convoy.alerts.raised", alerts);
            if (outcome == BatchOutcome.Unreadable)
            {
                activity.SetStatus(ActivityStatusCode.Error, "unreadable");
            }
        }
    }
}
