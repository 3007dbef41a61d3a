using Convoy.Contracts;
using Convoy.Contracts.Alerts.V1;
using Convoy.Contracts.Telemetry.V1;
using Convoy.EdgeAgent;
using SpanKind = Convoy.TestKit.Otlp.SpanKind;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Trace;

namespace Convoy.EndToEnd.Tests;

/// <summary>
/// Issue 16.3: one batch's journey is one trace. A truck's agent, the collector and the alert
/// engine export their spans over OTLP to a receiver inside the test; the batch that made the reefer
/// alert fire is followed from the agent's span through the collector's (the batch's traceparent),
/// the Kafka record's header and the engine's span to the alert record's header. And with no OTLP
/// endpoint, nothing of it exists: no exporter, no trace context in a batch or a record.
/// </summary>
/// <remarks>
/// An activity listener hears every instance of a source in the process, so a traced program here
/// would trace the other tests' programs too: these tests run alone (<see cref="Tracing"/>).
/// </remarks>
[Collection(Tracing.Name)]
public sealed class TracesTests
{
    private const string Tenant = "acme";

    [Fact]
    public async Task ReeferAlert_IsTheEndOfOneTrace_FromTheTrucksSpanThroughCollectorAndEngine()
    {
        // Arrange: every program exports to the receiver; the agent samples every batch.
        await using var receiver = await TestOtlpReceiver.StartAsync();
        string otlp = $"--Otlp:Endpoint={receiver.Endpoint}";
        await using var collector = await TestCollector.StartAsync(new TestCollectorSetup { Tenants = [Tenant], AlertTopics = true, Switches = [otlp] });
        await using var engine = await TestAlertEngine.StartAsync(collector.Kafka, null, otlp);
        using var agent = Agent(collector, otlp, "--Otlp:SampleRatio=1");

        // Act: the truck's reefer fails; its alert fires.
        await agent.StartAsync();
        var alertRecord = await Eventually.ReturnsAsync(
            () => Task.FromResult(KafkaTopics.ReadAll(collector.Kafka.BootstrapServers, TelemetryRecordHeaders.AlertTopic(Tenant)).FirstOrDefault()),
            static record => record is not null, TimeSpan.FromSeconds(90), "the reefer alert");
        await agent.StopAsync();

        // Assert: the alert record names the engine's span for the batch that raised it ...
        Assert.True(TraceParent.TryParse(alertRecord!.Message.Headers.GetLastBytes(TraceParent.Header), out var alertContext), "the alert record's traceparent header");
        string traceId = alertContext.TraceId.ToHexString();
        var trace = await Eventually.ReturnsAsync(
            () => Task.FromResult(receiver.Spans.Where(s => s.TraceId == traceId).ToList()),
            static spans => spans.Count >= 3, TimeSpan.FromSeconds(60), "the agent's, the collector's and the engine's span of the alert's trace");
        var evaluate = Assert.Single(trace, s => s.SpanId == alertContext.SpanId.ToHexString());
        Assert.Equal(("convoy-alert-engine", "evaluate batch", SpanKind.Consumer), (evaluate.Service, evaluate.Name, evaluate.Kind));
        Assert.Equal("1", evaluate.Attributes["convoy.alerts.raised"]);

        // ... whose parent is the collector's span, named in the telemetry record's header ...
        var ingest = Assert.Single(trace, s => s.SpanId == evaluate.ParentSpanId);
        Assert.Equal(("convoy-collector", "ingest batch", SpanKind.Server), (ingest.Service, ingest.Name, ingest.Kind));
        Assert.Equal("written", ingest.Attributes["convoy.batch.outcome"]);
        var telemetry = KafkaTopics.ReadAll(collector.Kafka.BootstrapServers, TelemetryRecordHeaders.TelemetryTopic(Tenant))
            .Single(r => KafkaTopics.Sequence(r).ToString(System.Globalization.CultureInfo.InvariantCulture) == ingest.Attributes["convoy.batch.sequence"]);
        Assert.Equal($"00-{traceId}-{ingest.SpanId}-01", KafkaTopics.Header(telemetry, TraceParent.Header));

        // ... whose parent is the truck's span, sent in the batch itself: one trace, agent to alert.
        var send = Assert.Single(trace, s => s.SpanId == ingest.ParentSpanId);
        Assert.Equal(("convoy-edge-agent", "send batch", SpanKind.Client, string.Empty), (send.Service, send.Name, send.Kind, send.ParentSpanId));
        Assert.Equal("acknowledged", send.Attributes["convoy.batch.outcome"]);
        Assert.Equal($"00-{traceId}-{send.SpanId}-01", TelemetryBatch.Parser.ParseFrom(telemetry.Message.Value).Traceparent);
        foreach (var span in new[] { send, ingest, evaluate })
        {
            Assert.Equal((Tenant, "truck-001", ingest.Attributes["convoy.batch.sequence"]),
                (span.Attributes["convoy.tenant"], span.Attributes["convoy.device"], span.Attributes["convoy.batch.sequence"]));
        }
    }

    [Fact]
    public async Task TracedCollector_ContinuesASendersTrace_AndIgnoresATraceparentThatIsNotOne()
    {
        // Arrange: a traced collector; a sender that traces its first batch and sends nonsense in its second's traceparent.
        await using var receiver = await TestOtlpReceiver.StartAsync();
        await using var collector = await TestCollector.StartAsync(new TestCollectorSetup { Tenants = [Tenant], Switches = [$"--Otlp:Endpoint={receiver.Endpoint}"] });
        const string Sender = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        using var truck = collector.Device(Tenant, "truck-9");

        // Act
        var acks = await truck.SendAsync(
            BatchBuilder.For("truck-9", 1).StartingAgo(TimeSpan.FromSeconds(10)).Temperatures(1, 4f).With(static b => b.Traceparent = Sender),
            BatchBuilder.For("truck-9", 2).StartingAgo(TimeSpan.FromSeconds(5)).Temperatures(1, 4f).With(static b => b.Traceparent = "00-NOT-A-TRACE-01"));

        // Assert: both are written and acknowledged; the first continues the sender's trace, the second is not traced.
        Assert.Equal(2UL, acks[^1].AckedSequence);
        var records = KafkaTopics.ReadAll(collector.Kafka.BootstrapServers, TelemetryRecordHeaders.TelemetryTopic(Tenant)).OrderBy(KafkaTopics.Sequence).ToList();
        Assert.Equal(2, records.Count);
        var ingest = await Eventually.ReturnsAsync(
            () => Task.FromResult(receiver.Spans.SingleOrDefault(s => s.Name == "ingest batch")),
            static span => span is not null, TimeSpan.FromSeconds(30), "the collector's span of the traced batch");
        Assert.Equal(("0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331", "1"), (ingest!.TraceId, ingest.ParentSpanId, ingest.Attributes["convoy.batch.sequence"]));
        Assert.Equal($"00-{ingest.TraceId}-{ingest.SpanId}-01", KafkaTopics.Header(records[0], TraceParent.Header));
        Assert.False(records[1].Message.Headers.TryGetLastBytes(TraceParent.Header, out _), "the batch with a malformed traceparent got a traceparent header");
        Assert.Equal("00-NOT-A-TRACE-01", TelemetryBatch.Parser.ParseFrom(records[1].Message.Value).Traceparent); // written as the device sent it
    }

    [Fact]
    public async Task WithoutAnOtlpEndpoint_NothingIsTraced_NoExporterAndNoTraceContextInBatchesOrRecords()
    {
        // Arrange: the same fleet, no Otlp settings anywhere.
        await using var collector = await TestCollector.StartAsync(new TestCollectorSetup { Tenants = [Tenant], AlertTopics = true });
        await using var engine = await TestAlertEngine.StartAsync(collector.Kafka);
        using var agent = Agent(collector);

        // Act
        await agent.StartAsync();
        var alerts = await Eventually.ReturnsAsync(
            () => Task.FromResult(KafkaTopics.ReadAll(collector.Kafka.BootstrapServers, TelemetryRecordHeaders.AlertTopic(Tenant))),
            static records => records.Count > 0, TimeSpan.FromSeconds(90), "the reefer alert");
        await agent.StopAsync();

        // Assert: no program made a tracer, and nothing carries a trace context.
        Assert.Null(agent.Services.GetService<TracerProvider>());
        Assert.Null(collector.App.Services.GetService<TracerProvider>());
        Assert.Null(engine.Services.GetService<TracerProvider>());
        var telemetry = KafkaTopics.ReadAll(collector.Kafka.BootstrapServers, TelemetryRecordHeaders.TelemetryTopic(Tenant));
        Assert.NotEmpty(telemetry);
        Assert.All(telemetry, static r => Assert.False(r.Message.Headers.TryGetLastBytes(TraceParent.Header, out _), "a telemetry record with a traceparent header"));
        Assert.All(telemetry, static r => Assert.Empty(TelemetryBatch.Parser.ParseFrom(r.Message.Value).Traceparent));
        Assert.All(alerts, static r => Assert.False(r.Message.Headers?.TryGetLastBytes(TraceParent.Header, out _) ?? false, "an alert record with a traceparent header"));
        Assert.Equal(AlertState.Firing, Alert.Parser.ParseFrom(alerts[0].Message.Value).State);
    }

    private static IHost Agent(TestCollector collector, params string[] switches) => EdgeAgentHost.Build(
    [
        $"--EdgeAgent:Collectors:0={collector.Address}",
        "--EdgeAgent:DevCertificates=true",
        $"--EdgeAgent:CertificatesFolder={collector.Folder}",
        $"--EdgeAgent:Simulator:Tenant={Tenant}",
        "--EdgeAgent:Simulator:Trucks=1",
        "--EdgeAgent:Simulator:TimeScale=1200",
        "--EdgeAgent:Simulator:StartInPast=00:30:00",
        "--EdgeAgent:Simulator:BatchSpan=00:01:00",
        "--EdgeAgent:Simulator:ReeferFailures=1",
        "--EdgeAgent:Simulator:ReeferFailureAfter=00:05:00",
        .. switches,
    ]);
}

/// <summary>Tests whose programs listen to the Convoy activity sources, which every program in the process shares: run alone, after the others.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class Tracing
{
    public const string Name = "Tracing";
}
