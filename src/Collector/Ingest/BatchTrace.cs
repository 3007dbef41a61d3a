using System.Diagnostics;
using Convoy.Collector.Authentication;
using Convoy.Contracts;
using Convoy.Contracts.Telemetry;

namespace Convoy.Collector.Ingest;

/// <summary>
/// The collector's span for one batch, <c>ingest batch</c>: a child of the sender's span when the
/// batch carries its trace context (<c>TelemetryBatch.traceparent</c>), so one batch's journey is
/// one trace; its context goes on to Kafka in the record's <c>traceparent</c> header. Tracing is
/// off unless <c>Otlp:Endpoint</c> is set (src/Shared/OtlpTracing.cs): then nothing listens to
/// <see cref="Source"/>, and <see cref="Start"/> is one check that allocates nothing, as the
/// ingest path must (docs/style.md, 5).
/// </summary>
internal static class BatchTrace
{
    public const string SourceName = "Convoy.Collector";

    public static readonly ActivitySource Source = new(SourceName);

    /// <summary>
    /// Starts the span of a batch as it arrives: under the sender's trace when it sent one,
    /// otherwise a new trace when <paramref name="rootSampling"/> (Otlp:SampleRatio above 0) lets
    /// the sampler decide. Null when tracing is off or the batch is not traced. A traceparent that
    /// is not valid is ignored (as W3C says), never a reason to refuse the batch.
    /// </summary>
    public static Activity? Start(ReadOnlySpan<byte> payload, AuthenticatedDevice sender, string method, bool rootSampling)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        Activity? activity;
        if (TraceParent.TryParse(BatchView.TraceparentOf(payload), out var parent))
        {
            activity = Source.StartActivity("ingest batch", ActivityKind.Server, parent);
        }
        else if (rootSampling)
        {
            // A trace of its own: not a child of the HTTP/2 call's activity, which a long stream
            // shares among all its batches. (The caller's async flow gets its own Current back.)
            Activity.Current = null;
            activity = Source.StartActivity("ingest batch", ActivityKind.Server, default(ActivityContext));
        }
        else
        {
            return null;
        }

        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("rpc.system", "grpc");
            activity.SetTag("rpc.service", Contracts.IngestWire.ServiceName);
            activity.SetTag("rpc.method", method);
            activity.SetTag("convoy.tenant", sender.Tenant);
            activity.SetTag("convoy.device", sender.Device);
            activity.SetTag("convoy.batch.bytes", payload.Length);
            if (sender.Sender.Length > 0)
            {
                activity.SetTag("convoy.sender", sender.Sender);
            }
        }

        return activity;
    }

    /// <summary>
    /// What became of the batch, on its span: <c>written</c> (queued to Kafka), <c>replay</c>
    /// (Kafka has it, or another call is writing it: acknowledged, not written again), or
    /// <c>refused</c> with the refusal's reason (docs/status-codes.md), which marks the span an error.
    /// </summary>
    public static void Outcome(Activity? activity, ulong sequence, string outcome, string? reason = null)
    {
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("convoy.batch.sequence", (long)sequence);
            activity.SetTag("convoy.batch.outcome", outcome);
            if (reason is not null)
            {
                activity.SetTag("convoy.refusal.reason", reason);
                activity.SetStatus(ActivityStatusCode.Error, reason);
            }
        }
    }
}
