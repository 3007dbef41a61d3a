using System.Diagnostics;
using Convoy.Contracts;
using Convoy.Contracts.Telemetry.V1;
using Convoy.EdgeAgent.Uplink;
using Google.Protobuf;

namespace Convoy.EdgeAgent.Tests;

/// <summary>
/// The agent's side of a batch's trace (Uplink/BatchTraces.cs): a sampled batch goes with its span's
/// traceparent in TelemetryBatch.traceparent and the span ends at the ack; an unsampled batch, or
/// any batch with tracing off, goes exactly as the buffer holds it.
/// </summary>
/// <remarks>An activity listener hears the agent's source in every test of the process: these run alone.</remarks>
[Collection(AgentTracing.Name)]
public sealed class BatchTracesUnitTests
{
    private static readonly Uri Collector = new("https://collector.example:5443");

    [Fact]
    public void Start_TracingOff_SendsTheBufferedBytesThemselves()
    {
        byte[] batch = Batch(1);

        byte[] sent = new BatchTraces().Start(batch, "acme", "truck-1", 1, Collector);

        Assert.Same(batch, sent);
    }

    [Fact]
    public void Start_SampledBatch_CarriesItsSpansTraceparent_AndTheSpanEndsWhenAcknowledged()
    {
        var stopped = new List<Activity>();
        using var listener = Listen(ActivitySamplingResult.AllDataAndRecorded, stopped);
        var traces = new BatchTraces();
        byte[] first = Batch(1);
        byte[] second = Batch(2);

        var sentFirst = TelemetryBatch.Parser.ParseFrom(traces.Start(first, "acme", "truck-1", 1, Collector));
        var sentSecond = TelemetryBatch.Parser.ParseFrom(traces.Start(second, "acme", "truck-1", 2, Collector));
        traces.Acknowledged(1);

        // The batch is the buffered one plus its trace context; each batch is a trace of its own.
        Assert.Equal(TelemetryBatch.Parser.ParseFrom(first), new TelemetryBatch(sentFirst) { Traceparent = string.Empty });
        var span = Assert.Single(stopped);
        Assert.Equal($"00-{span.TraceId.ToHexString()}-{span.SpanId.ToHexString()}-01", sentFirst.Traceparent);
        Assert.Equal(default, span.ParentSpanId);
        Assert.True(TraceParent.TryParse(System.Text.Encoding.UTF8.GetBytes(sentSecond.Traceparent), out var secondContext));
        Assert.NotEqual(span.TraceId, secondContext.TraceId);
        Assert.Equal(("send batch", ActivityKind.Client, "acknowledged", (object)1L),
            (span.DisplayName, span.Kind, span.GetTagItem("convoy.batch.outcome"), span.GetTagItem("convoy.batch.sequence")));

        // The stream ends before batch 2 is acknowledged: its span ends as an error.
        traces.Ended("the stream ended");
        Assert.Equal(2, stopped.Count);
        Assert.Equal((ActivityStatusCode.Error, "the stream ended"), (stopped[1].Status, stopped[1].StatusDescription));
    }

    [Fact]
    public void Start_BatchNotSampled_GoesWithoutATraceContext()
    {
        var stopped = new List<Activity>();
        using var listener = Listen(ActivitySamplingResult.PropagationData, stopped);
        byte[] batch = Batch(1);

        byte[] sent = new BatchTraces().Start(batch, "acme", "truck-1", 1, Collector);

        Assert.Same(batch, sent);
        Assert.Empty(TelemetryBatch.Parser.ParseFrom(sent).Traceparent);
    }

    private static ActivityListener Listen(ActivitySamplingResult sampling, List<Activity> stopped)
    {
        var listener = new ActivityListener
        {
            ShouldListenTo = static source => source.Name == BatchTraces.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => sampling,
            ActivityStopped = activity =>
            {
                if (activity.Recorded)
                {
                    stopped.Add(activity);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        return listener;
    }

    private static byte[] Batch(ulong sequence)
    {
        var batch = new TelemetryBatch { TenantId = "acme", DeviceId = "truck-1", Sequence = sequence, BaseTimeUnixMs = 1_700_000_000_000, Gps = new GpsColumns() };
        batch.Gps.OffsetMs.Add([0, 1000]);
        batch.Gps.LatitudeDeg.Add([52.1, 52.2]);
        batch.Gps.LongitudeDeg.Add([4.1, 4.2]);
        return batch.ToByteArray();
    }
}

/// <summary>Tests that listen to the agent's activity source, which every agent in the process shares: run alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AgentTracing
{
    public const string Name = "AgentTracing";
}
