using System.Diagnostics;
using Convoy.Contracts;

namespace Convoy.EdgeAgent.Uplink;

/// <summary>
/// The agent's spans of one stream, <c>send batch</c>: one per sampled batch, from the moment it is
/// written to the stream until the collector acknowledges it. The agent starts each batch's trace
/// and decides whether it is sampled (Otlp:SampleRatio); a sampled batch carries the span's context
/// in <c>TelemetryBatch.traceparent</c>, so the collector's span for it, the Kafka record, the
/// alert engine's span and any alert it raises are one trace. Tracing is off unless
/// <c>Otlp:Endpoint</c> is set: then nothing listens to <see cref="Source"/>, <see cref="Start"/>
/// returns null after one check, and a batch is sent as the buffer holds it.
/// </summary>
internal sealed class BatchTraces
{
    public const string SourceName = "Convoy.EdgeAgent";

    public static readonly ActivitySource Source = new(SourceName);

    /// <summary>TelemetryBatch.traceparent: field 9, length-delimited (telemetry.proto).</summary>
    private const byte TraceparentTag = (9 << 3) | 2;

    private readonly Queue<(ulong Sequence, Activity Span)> _unacknowledged = new();

    /// <summary>
    /// The batch <paramref name="sequence"/> as it goes on the wire: when tracing is on and the
    /// sampler picks it, a copy with its span's traceparent appended (the span is kept until the
    /// ack); otherwise <paramref name="batch"/> itself.
    /// </summary>
    public byte[] Start(byte[] batch, string tenant, string device, ulong sequence, Uri collector)
    {
        if (!Source.HasListeners())
        {
            return batch;
        }

        // Each batch is a trace of its own, not a child of the previous batch's span.
        Activity.Current = null;
        var span = Source.StartActivity("send batch", ActivityKind.Client, default(ActivityContext));
        Activity.Current = null;
        if (span is null)
        {
            return batch;
        }

        if (!span.Recorded)
        {
            span.Dispose(); // not sampled: the batch goes without a trace context
            return batch;
        }

        span.SetTag("rpc.system", "grpc");
        span.SetTag("rpc.service", IngestWire.ServiceName);
        span.SetTag("rpc.method", "Stream");
        span.SetTag("server.address", collector.Host);
        span.SetTag("server.port", collector.Port);
        span.SetTag("convoy.tenant", tenant);
        span.SetTag("convoy.device", device);
        span.SetTag("convoy.batch.sequence", (long)sequence);
        span.SetTag("convoy.batch.bytes", batch.Length);

        // Appending a field to an encoded message is the same as having written it last; the
        // buffered bytes stay as they are (a batch sent again gets the context of its new send).
        byte[] traced = new byte[batch.Length + 2 + TraceParent.Length];
        batch.CopyTo(traced, 0);
        traced[batch.Length] = TraceparentTag;
        traced[batch.Length + 1] = TraceParent.Length;
        TraceParent.Write(span.Context, traced.AsSpan(batch.Length + 2));
        lock (_unacknowledged)
        {
            _unacknowledged.Enqueue((sequence, span));
        }

        return traced;
    }

    /// <summary>The collector acknowledged everything up to <paramref name="acked"/>: those spans end.</summary>
    public void Acknowledged(ulong acked)
    {
        lock (_unacknowledged)
        {
            while (_unacknowledged.TryPeek(out var sent) && sent.Sequence <= acked)
            {
                _unacknowledged.Dequeue();
                sent.Span.SetTag("convoy.batch.outcome", "acknowledged");
                sent.Span.Dispose();
            }
        }
    }

    /// <summary>The stream ended with batches unacknowledged: their spans end as errors (the batches stay buffered and go again).</summary>
    public void Ended(string why)
    {
        lock (_unacknowledged)
        {
            while (_unacknowledged.TryDequeue(out var sent))
            {
                sent.Span.SetTag("convoy.batch.outcome", "not-acknowledged");
                sent.Span.SetStatus(ActivityStatusCode.Error, why);
                sent.Span.Dispose();
            }
        }
    }
}
