using System.Buffers.Binary;
using System.Diagnostics.Metrics;
using Convoy.Contracts.Telemetry.V1;
using Convoy.EdgeAgent.Buffering;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace Convoy.EdgeAgent.Tests;

/// <summary>The disk-full policy: aggregated batches go before excursion batches, and every drop is counted.</summary>
public sealed class DurableBatchLogDiskBudgetTests : IDisposable
{
    private const string Tenant = "acme";
    private const string Device = "truck-001";
    private const int Points = 200;
    private readonly string _root = Path.Combine(Path.GetTempPath(), "convoy-budget-" + Guid.NewGuid().ToString("N"));
    private readonly TestLogs _log = new();
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();

    public void Dispose()
    {
        _services.Dispose();
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    private DurableBufferOptions Options => new() { Folder = _root, SegmentBytes = 64 * 1024, MaxBytes = 256 * 1024, FsyncPolicy = FsyncPolicy.Never };

    [Fact]
    public void Append_OverBudgetWithMixedData_DropsOldestAggregatedAndKeepsEveryExcursionBatch()
    {
        var metrics = new EdgeAgentMetrics(_services.GetRequiredService<IMeterFactory>());
        using var dropped = new MetricCollector<long>(_services.GetRequiredService<IMeterFactory>(), EdgeAgentMetrics.MeterName, "convoy.edge.readings.dropped");
        var options = Options;
        var log = new DurableBatchLog(Tenant, Device, options, _log, metrics: metrics);

        // 120 batches of ~5.6 KB (≈ 670 KB) into a 256 KiB budget; every fifth holds an excursion.
        for (int i = 1; i <= 120; i++)
        {
            log.Append(Batch(i), Points, excursion: i % 5 == 0);
        }

        var kept = Served(log);
        var excursions = Enumerable.Range(1, 120).Where(i => i % 5 == 0).Select(i => (ulong)i).ToList();
        Assert.All(excursions, s => Assert.Contains(s, kept));
        Assert.Equal(kept.Order().ToList(), kept);
        var keptAggregated = kept.Where(s => s % 5 != 0).ToList();
        var droppedAggregated = Enumerable.Range(1, 120).Select(i => (ulong)i).Where(s => s % 5 != 0).Except(keptAggregated).ToList();
        Assert.NotEmpty(droppedAggregated);
        Assert.True(droppedAggregated.Max() < keptAggregated.Min(), "the oldest aggregated batches go first");
        Assert.Equal(droppedAggregated.Count, log.Dropped);
        Assert.Equal(120, log.Dropped + log.Count);
        Assert.Equal(log.Dropped * Points, log.DroppedReadings);
        Assert.Equal(0, log.DroppedExcursionReadings);
        Assert.True(log.Bytes <= options.MaxBytes, $"{log.Bytes} bytes accounted");
        Assert.True(Directory.GetFiles(Path.Combine(_root, Tenant, Device), "*.seg").Sum(p => new FileInfo(p).Length) <= options.MaxBytes);
        Assert.True(_log.Count("BufferDiskBudgetDropped") >= 1);
        Assert.Equal(log.DroppedReadings, dropped.GetMeasurementSnapshot().Where(m => (string?)m.Tags["data"] == "aggregated").Sum(m => m.Value));

        // The rewritten segments open after a restart with the same batches, flags included.
        log.Dispose();
        using var reopened = new DurableBatchLog(Tenant, Device, options, _log);
        Assert.Equal(kept, Served(reopened));
        reopened.Append(Batch(999), Points, excursion: false);
        Assert.Equal(121UL, reopened.LastSequence);
    }

    [Fact]
    public void Append_OverBudgetWithOnlyExcursions_DropsTheOldestAndCountsThemAsExcursionReadings()
    {
        var options = Options;
        using var log = new DurableBatchLog(Tenant, Device, options, _log);

        for (int i = 1; i <= 80; i++)
        {
            log.Append(Batch(i), Points, excursion: true);
        }

        var kept = Served(log);
        Assert.True(log.Dropped > 0);
        Assert.Equal(80, log.Dropped + kept.Count);
        Assert.Equal(Enumerable.Range((int)log.Dropped + 1, kept.Count).Select(i => (ulong)i), kept);
        Assert.Equal(log.Dropped * Points, log.DroppedExcursionReadings);
        Assert.Equal(log.DroppedReadings, log.DroppedExcursionReadings);
        Assert.True(log.Bytes <= options.MaxBytes);
    }

    [Fact]
    public void WriteHeader_ExcursionFlag_RoundTripsAndUnflaggedKeepsTheOriginalLayout()
    {
        byte[] record = new byte[SegmentFile.HeaderBytes + 3];
        SegmentFile.WriteHeader(record, 7, 1234, 3, excursion: false);
        Assert.Equal(1234, BinaryPrimitives.ReadInt32LittleEndian(record.AsSpan(16))); // as before the flag existed
        Assert.True(SegmentFile.TryReadRecord(record, 0, out ulong sequence, out int length, out int readings, out bool excursion));
        Assert.Equal((7UL, 3, 1234, false), (sequence, length, readings, excursion));

        SegmentFile.WriteHeader(record, 8, 1234, 3, excursion: true);
        Assert.True(SegmentFile.TryReadRecord(record, 0, out sequence, out length, out readings, out excursion));
        Assert.Equal((8UL, 3, 1234, true), (sequence, length, readings, excursion));
    }

    private static List<ulong> Served(DurableBatchLog log)
    {
        var served = new List<ulong>();
        ulong after = 0;
        while (log.TryGetNext(after, out ulong sequence, out byte[] bytes))
        {
            Assert.Equal(sequence, TelemetryBatch.Parser.ParseFrom(bytes).Sequence);
            served.Add(sequence);
            after = sequence;
        }

        return served;
    }

    private static TelemetryBatch Batch(int seed) =>
        BatchBuilder.For(Device, sequence: 0).StartingAt(1_700_000_000_000 + (seed * 10_000L)).Every(TimeSpan.FromMilliseconds(1))
            .Gps(Points, i => i, i => (seed + (i * 0.001), -seed - (i * 0.001)), _ => seed % 360);
}
