using Convoy.Contracts.Telemetry.V1;
using Convoy.EdgeAgent.Buffering;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using static Convoy.EdgeAgent.Tests.TestAdmission;

namespace Convoy.EdgeAgent.Tests;

/// <summary>
/// The agent runs the collector's own content check before a batch enters its buffer: a batch the
/// collector would refuse never takes a sequence, so it can never stall the batches behind it.
/// </summary>
public sealed class BatchAdmissionTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(Now);
    private readonly TestMeterFactory _meters = new();

    public static TheoryData<string, string, string> RefusedBatches => new()
    {
        { "NaN speed", "not-finite", "gps.speed_kmh[1] is NaN" },
        { "heading 360", "out-of-range", "gps.heading_deg[0] is 360" },
        { "reading an hour ahead", "reading-ahead", "more than 00:05:00 ahead of the gateway's clock (2026-12-07 12:00:00Z)" },
        { "base time a year back", "too-old", "is older than 30.00:00:00" },
        { "no readings", "empty", "the batch holds no readings" },
    };

    [Theory]
    [MemberData(nameof(RefusedBatches))]
    public void ABatchTheCollectorWouldRefuse_IsNotBuffered_AndTheNextGoodOneTakesSequenceOne(string defect, string reason, string message)
    {
        var logs = new TestLogs();
        var agent = new EdgeAgentOptions();
        var admission = new BatchAdmission(Options.Create(agent), _time, new EdgeAgentMetrics(_meters), logs.For<BatchAdmission>());
        var buffer = new BatchBuffer("truck-1", capacity: 10);

        ulong refused = admission.Append(buffer, "acme", Defective(defect), readings: 2);
        ulong good = admission.Append(buffer, "acme", Good(), readings: 2);

        Assert.Equal(0UL, refused);
        Assert.Equal(1, admission.Refused);
        Assert.Equal(1UL, good);
        Assert.Equal(1, buffer.Count);
        var logged = Assert.Single(logs.Entries, e => e.Event == "BatchRefused");
        Assert.Contains($"because the collector would refuse it ({reason}): ", logged.Message, StringComparison.Ordinal);
        Assert.Contains(message, logged.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheAgentsBounds_AreItsOwnSettings_SetAsTheCollectors()
    {
        var agent = new EdgeAgentOptions { MaxBatchAge = TimeSpan.FromDays(3650) };
        var admission = Admission(agent, new EdgeAgentMetrics(_meters), _time);
        var buffer = new BatchBuffer("truck-1", capacity: 10);

        Assert.Equal(1UL, admission.Append(buffer, "acme", Defective("base time a year back"), readings: 2));
    }

    private TelemetryBatch Good()
    {
        var batch = new TelemetryBatch { DeviceId = "truck-1", BaseTimeUnixMs = _time.GetUtcNow().ToUnixTimeMilliseconds() - 10_000, Gps = new GpsColumns() };
        batch.Gps.OffsetMs.Add([0, 1000]);
        batch.Gps.LatitudeDeg.Add([52.1, 52.2]);
        batch.Gps.LongitudeDeg.Add([4.1, 4.2]);
        batch.Gps.SpeedKmh.Add([80f, 81f]);
        batch.Gps.HeadingDeg.Add([90f, 359.9f]);
        return batch;
    }

    private TelemetryBatch Defective(string defect)
    {
        var batch = Good();
        switch (defect)
        {
            case "NaN speed": batch.Gps.SpeedKmh[1] = float.NaN; break;
            case "heading 360": batch.Gps.HeadingDeg[0] = 360f; break;
            case "reading an hour ahead": batch.Gps.OffsetMs[1] = 3_610_000; break;
            case "base time a year back": batch.BaseTimeUnixMs -= (long)TimeSpan.FromDays(365).TotalMilliseconds; break;
            case "no readings": batch.Gps = null; break;
            default: throw new ArgumentOutOfRangeException(nameof(defect), defect, null);
        }

        return batch;
    }
}
