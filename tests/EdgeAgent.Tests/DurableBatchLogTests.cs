using System.Buffers.Binary;
using Convoy.Contracts.Telemetry.V1;
using Convoy.EdgeAgent.Buffering;
using Google.Protobuf;
using Microsoft.Extensions.Time.Testing;

namespace Convoy.EdgeAgent.Tests;

/// <summary>The durable buffer on real files in a temporary folder (removed after each test).</summary>
public sealed class DurableBatchLogTests : IDisposable
{
    private const string Tenant = "acme";
    private const string Device = "truck-001";
    private readonly string _root = Path.Combine(Path.GetTempPath(), "convoy-buffer-" + Guid.NewGuid().ToString("N"));
    private readonly TestLogs _log = new();

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    private string DeviceFolder => Path.Combine(_root, Tenant, Device);

    private DurableBufferOptions Options(long segmentBytes = 4L * 1024 * 1024, long maxBytes = 64L * 1024 * 1024, FsyncPolicy fsync = FsyncPolicy.Never) =>
        new() { Folder = _root, SegmentBytes = segmentBytes, MaxBytes = maxBytes, FsyncPolicy = fsync };

    private DurableBatchLog Open(DurableBufferOptions options, TimeProvider? time = null) => new(Tenant, Device, options, _log, time);

    /// <summary>A batch whose encoding depends on <paramref name="seed"/> and is about 28 bytes per point.</summary>
    private static TelemetryBatch Batch(int seed, int points = 4) =>
        BatchBuilder.For(Device, sequence: 0).StartingAt(1_700_000_000_000 + seed).Every(TimeSpan.FromMilliseconds(1))
            .Gps(points, i => i, i => (seed + (i * 0.001), -seed - (i * 0.001)), _ => seed % 360);

    private string[] SegmentPaths() => [.. Directory.GetFiles(DeviceFolder, "*.seg").Order(StringComparer.Ordinal)];

    /// <summary>Offsets of the records in a segment file, read with the documented format.</summary>
    private static List<long> RecordOffsets(string path)
    {
        byte[] data = File.ReadAllBytes(path);
        var offsets = new List<long>();
        long offset = 0;
        while (offset + 20 <= data.Length)
        {
            offsets.Add(offset);
            offset += 20 + BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan((int)offset));
        }

        return offsets;
    }

    private static void FlipByte(string path, long offset)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        stream.Position = offset;
        int b = stream.ReadByte();
        stream.Position = offset;
        stream.WriteByte((byte)(b ^ 0x5A));
    }

    [Theory]
    [InlineData(FsyncPolicy.EveryBatch)]
    [InlineData(FsyncPolicy.Interval)]
    [InlineData(FsyncPolicy.Never)]
    public void Restart_KeepsAcksSequencesAndUnacknowledgedPayloadsByteForByte(FsyncPolicy fsync)
    {
        var options = Options(fsync: fsync);
        var expected = new Dictionary<ulong, byte[]>();
        using (var log = Open(options))
        {
            for (int i = 1; i <= 5; i++)
            {
                var batch = Batch(i);
                ulong sequence = log.Append(batch, readings: 4);
                Assert.Equal((ulong)i, sequence);
                expected[sequence] = batch.ToByteArray(); // stamped with its sequence
            }

            Assert.Equal((2, 8L), log.Acknowledge(2));
        }

        using var reopened = Open(options);

        Assert.Equal(2UL, reopened.Acked);
        Assert.Equal(5UL, reopened.LastSequence);
        Assert.Equal(3, reopened.Count);
        ulong after = reopened.Acked;
        for (ulong s = 3; s <= 5; s++)
        {
            Assert.True(reopened.TryGetNext(after, out ulong sequence, out byte[] bytes));
            Assert.Equal(s, sequence);
            Assert.Equal(expected[s], bytes);
            Assert.Equal(s, TelemetryBatch.Parser.ParseFrom(bytes).Sequence);
            after = sequence;
        }

        Assert.False(reopened.TryGetNext(after, out _, out _));
        Assert.Equal(6UL, reopened.Append(Batch(6), 4));
        Assert.Equal((3, 12L), reopened.Acknowledge(5));
        Assert.Equal(1, reopened.Count); // batch 6
    }

    [Fact]
    public void Open_TruncatesAGarbageTail_AndAppendsCleanlyAfterIt()
    {
        var options = Options();
        using (var log = Open(options))
        {
            for (int i = 1; i <= 3; i++)
            {
                log.Append(Batch(i), 4);
            }
        }

        string segment = Assert.Single(SegmentPaths());
        long intact = new FileInfo(segment).Length;
        using (var stream = new FileStream(segment, FileMode.Append))
        {
            stream.Write([0x13, 0x37, 0x00]); // a header cut short after 3 bytes
        }

        using (var log = Open(options))
        {
            Assert.Equal(intact, new FileInfo(segment).Length);
            Assert.Equal(3, log.Count);
            Assert.Equal(3UL, log.LastSequence);
            Assert.Equal(1, _log.Count("BufferTornTailTruncated"));
            Assert.Equal(4UL, log.Append(Batch(4), 4));
        }

        using var again = Open(options);
        Assert.Equal(4, again.Count);
        Assert.True(again.TryGetNext(3, out ulong sequence, out byte[] bytes));
        Assert.Equal(4UL, sequence);
        Assert.Equal(4UL, TelemetryBatch.Parser.ParseFrom(bytes).Sequence);
        Assert.Equal(1, _log.Count("BufferTornTailTruncated")); // the second open found nothing to cut
    }

    [Fact]
    public void Open_APartialLastRecord_IsCutAway_ButItsSequenceIsNeverHandedOutAgain()
    {
        var options = Options();
        using (var log = Open(options))
        {
            for (int i = 1; i <= 4; i++)
            {
                log.Append(Batch(i, points: 50), 50);
            }
        }

        string segment = Assert.Single(SegmentPaths());
        long fourth = RecordOffsets(segment)[3];
        using (var stream = new FileStream(segment, FileMode.Open))
        {
            stream.SetLength(fourth + 20 + 10); // whole header of batch 4, a tenth of its payload
        }

        using var reopened = Open(options);

        Assert.Equal(3, reopened.Count);
        Assert.Equal(fourth, new FileInfo(segment).Length);
        Assert.True(reopened.TryGetNext(2, out ulong sequence, out _));
        Assert.Equal(3UL, sequence);
        Assert.False(reopened.TryGetNext(3, out _, out _));
        Assert.Equal(5UL, reopened.Append(Batch(5), 4)); // 4 may have reached the collector before the power cut
    }

    [Fact]
    public void Open_ACorruptRecordInTheMiddle_QuarantinesTheRestOfItsSegment_AndServesLaterSegments()
    {
        // 200-point batches are ~5.6 KB: the smallest segment (64 KiB) holds 11 of them.
        var options = Options(segmentBytes: 64 * 1024);
        var expected = new Dictionary<ulong, byte[]>();
        using (var log = Open(options))
        {
            for (int i = 1; i <= 30; i++)
            {
                var batch = Batch(i, points: 200);
                log.Append(batch, 200);
                expected[batch.Sequence] = batch.ToByteArray();
            }
        }

        string[] segments = SegmentPaths();
        Assert.True(segments.Length >= 3);
        var offsets = RecordOffsets(segments[0]);
        int inFirst = offsets.Count;
        FlipByte(segments[0], offsets[2] + 20 + 100); // payload of batch 3

        using var reopened = Open(options);

        Assert.Equal(1, _log.Count("BufferSegmentQuarantined"));
        string quarantined = Assert.Single(Directory.GetFiles(Path.Combine(DeviceFolder, "quarantine")));
        Assert.StartsWith(Path.GetFileName(segments[0]), Path.GetFileName(quarantined), StringComparison.Ordinal);
        long lost = inFirst - 2;
        Assert.Equal(lost, reopened.Dropped);
        Assert.Equal(30 - (int)lost, reopened.Count);
        Assert.Equal(30UL, reopened.LastSequence);

        // Batches 1 and 2 (before the damage) are kept; next comes the first of the second segment.
        var served = new List<ulong>();
        ulong after = 0;
        while (reopened.TryGetNext(after, out ulong sequence, out byte[] bytes))
        {
            Assert.Equal(expected[sequence], bytes);
            served.Add(sequence);
            after = sequence;
        }

        Assert.Equal([1UL, 2UL, .. Enumerable.Range(inFirst + 1, 30 - inFirst).Select(i => (ulong)i)], served);
        Assert.Equal(31UL, reopened.Append(Batch(31), 1));
    }

    [Fact]
    public void Restart_AfterEverythingWasAcknowledged_ContinuesTheSequence()
    {
        var options = Options(segmentBytes: 64 * 1024);
        using (var log = Open(options))
        {
            for (int i = 1; i <= 40; i++)
            {
                log.Append(Batch(i, points: 200), 200);
            }

            Assert.True(SegmentPaths().Length > 2);
            log.Acknowledge(40);
            Assert.Equal(0, log.Count);
            Assert.Single(SegmentPaths()); // acknowledged segments deleted; the newest stays
        }

        using (var log = Open(options))
        {
            Assert.Equal(40UL, log.Acked);
            Assert.Equal(40UL, log.LastSequence);
            Assert.False(log.TryGetNext(0, out _, out _));
            Assert.Equal(41UL, log.Append(Batch(41), 4));
            log.Acknowledge(41);
        }

        // Even without the ack file, and with every segment gone, the sequence never goes back
        // as long as one of the two survives.
        File.Delete(Path.Combine(DeviceFolder, "ack"));
        using (var log = Open(options))
        {
            Assert.Equal(42UL, log.Append(Batch(42), 4));
            log.Acknowledge(42);
        }

        foreach (string segment in SegmentPaths())
        {
            File.Delete(segment);
        }

        using var last = Open(options);
        Assert.Equal(43UL, last.Append(Batch(43), 4));
    }

    [Fact]
    public void Append_OverTheDiskBudget_DropsTheOldestSegment_AndCountsIt()
    {
        var options = Options(segmentBytes: 64 * 1024, maxBytes: 128 * 1024);
        var sequences = new List<ulong>();
        using var log = Open(options);

        for (int i = 1; i <= 60; i++)
        {
            sequences.Add(log.Append(Batch(i, points: 200), 200));
        }

        Assert.Equal(Enumerable.Range(1, 60).Select(i => (ulong)i), sequences);
        Assert.True(log.Dropped > 0);
        Assert.True(log.Bytes <= options.MaxBytes, $"{log.Bytes} bytes on disk");
        Assert.True(SegmentPaths().Sum(p => new FileInfo(p).Length) <= options.MaxBytes);
        Assert.Equal(60, log.Dropped + log.Count);
        Assert.True(_log.Count("BufferDiskBudgetDropped") >= 1);
        Assert.True(log.TryGetNext(0, out ulong oldestKept, out _));
        Assert.Equal((ulong)log.Dropped + 1, oldestKept); // the oldest went, the newest stayed
        Assert.Equal(60UL, log.LastSequence);
    }

    [Fact]
    public void Check_ReportsWhatWasPlanted()
    {
        var options = Options(segmentBytes: 64 * 1024);
        using (var log = Open(options))
        {
            for (int i = 1; i <= 30; i++)
            {
                log.Append(Batch(i, points: 200), 200);
            }

            log.Acknowledge(5);
        }

        var clean = DurableBatchLog.Check(DeviceFolder);
        Assert.True(clean.Healthy);
        Assert.Equal((30, 25, 5UL, 6UL, 30UL), (clean.Records, clean.Unacknowledged, clean.Acked, clean.FirstUnacknowledged, clean.LastSequence));

        string[] segments = SegmentPaths();
        var secondOffsets = RecordOffsets(segments[1]);
        FlipByte(segments[1], secondOffsets[1] + 20 + 7);
        using (var stream = new FileStream(segments[^1], FileMode.Append))
        {
            stream.Write(new byte[7]);
        }

        var report = DurableBatchLog.Check(DeviceFolder);

        Assert.False(report.Healthy);
        Assert.Equal(segments.Length, report.Segments);
        Assert.Equal(1, report.TornTails);
        Assert.Equal(1, report.CorruptRecords);
        Assert.Equal(30 - (secondOffsets.Count - 1), report.Records);
        Assert.Equal(5UL, report.Acked);
        Assert.True(report.AckFileValid);
        Assert.Equal(0, report.QuarantinedFiles);
        Assert.Equal(2, report.Problems.Count);
        Assert.Equal(segments.Length, SegmentPaths().Length); // check changes nothing
    }

    [Fact]
    public void Open_ASegmentMuchLargerThanTheScanWindow_WithARecordLargerThanIt_KeepsEveryRecordAndCutsTheTornTail()
    {
        // Recovery reads a segment through a small window, not whole: records straddle the
        // window's edges, one record is larger than the window, and the tail is torn.
        var options = Options();
        var expected = new List<byte[]>();
        using (var log = Open(options))
        {
            for (int i = 1; i <= 400; i++)
            {
                var batch = Batch(i, points: i == 200 ? 4000 : 1 + ((i * 37) % 120));
                log.Append(batch, batch.Gps.OffsetMs.Count);
                expected.Add(batch.ToByteArray());
            }
        }

        string segment = Assert.Single(SegmentPaths());
        long intact = new FileInfo(segment).Length;
        Assert.True(intact > 4 * SegmentFile.ScanWindowBytes, $"segment of {intact} bytes");
        Assert.True(expected[199].Length > SegmentFile.ScanWindowBytes, $"record of {expected[199].Length} bytes");
        using (var stream = new FileStream(segment, FileMode.Append))
        {
            byte[] torn = new byte[120]; // a header declaring 500 bytes, of which 100 reached the disk
            BinaryPrimitives.WriteUInt32LittleEndian(torn, 500);
            BinaryPrimitives.WriteUInt64LittleEndian(torn.AsSpan(8), 401);
            stream.Write(torn);
        }

        using var reopened = Open(options);
        Assert.Equal(intact, new FileInfo(segment).Length);
        Assert.Equal(400, reopened.Count);
        Assert.Equal(1, _log.Count("BufferTornTailTruncated"));
        Assert.Equal(0, _log.Count("BufferSegmentQuarantined"));
        ulong after = 0;
        foreach (byte[] bytes in expected)
        {
            Assert.True(reopened.TryGetNext(after, out ulong sequence, out byte[] served));
            Assert.Equal(after + 1, sequence);
            Assert.Equal(bytes, served);
            after = sequence;
        }

        Assert.Equal(402UL, reopened.Append(Batch(401), 4)); // the torn record's sequence is never handed out again
    }

    [Fact]
    public void ManyAppends_AcrossSegments_WithAcksAndRestarts_ServeEveryBatchInOrder()
    {
        var options = Options(segmentBytes: 64 * 1024, fsync: FsyncPolicy.Interval);
        var expected = new Dictionary<ulong, byte[]>();
        ulong acked = 0;
        for (int round = 0; round < 4; round++)
        {
            using var log = Open(options);
            Assert.Equal(acked, log.Acked);
            for (int i = 0; i < 150; i++)
            {
                var batch = Batch((round * 1000) + i, points: 1 + ((i * 37) % 120));
                log.Append(batch, batch.Gps.OffsetMs.Count);
                expected[batch.Sequence] = batch.ToByteArray();
            }

            ulong after = acked;
            int served = 0;
            while (log.TryGetNext(after, out ulong sequence, out byte[] bytes))
            {
                Assert.Equal(after + 1, sequence);
                Assert.Equal(expected[sequence], bytes);
                after = sequence;
                served++;
            }

            Assert.Equal(log.Count, served);
            Assert.Equal((ulong)((round + 1) * 150), after);
            acked = after - 40; // leave the last 40 for the next round
            log.Acknowledge(acked);
            Assert.True(log.Segments <= 3, $"{log.Segments} segments after acknowledging");
        }

        Assert.Equal(0, _log.Count("BufferTornTailTruncated") + _log.Count("BufferSegmentQuarantined"));
    }

    [Fact]
    public void TryGetNext_ARecordDamagedAfterOpening_IsDroppedAndTheNextServed()
    {
        using var log = Open(Options());
        for (int i = 1; i <= 3; i++)
        {
            log.Append(Batch(i), 4);
        }

        string segment = Assert.Single(SegmentPaths());
        FlipByte(segment, RecordOffsets(segment)[1] + 20 + 3);

        Assert.True(log.TryGetNext(1, out ulong sequence, out _));

        Assert.Equal(3UL, sequence);
        Assert.Equal(1, log.Dropped);
        Assert.Equal(1, _log.Count("BufferRecordCorrupt"));
    }

    [Fact]
    public void Open_AGarbageAckFile_IsLogged_AndEverythingOnDiskIsSentAgain()
    {
        var options = Options();
        using (var log = Open(options))
        {
            log.Append(Batch(1), 4);
            log.Append(Batch(2), 4);
            log.Acknowledge(1);
        }

        File.WriteAllText(Path.Combine(DeviceFolder, "ack"), "not an ack");

        using var reopened = Open(options);

        Assert.Equal(1, _log.Count("BufferAckFileUnreadable"));
        Assert.Equal(0UL, reopened.Acked);
        Assert.Equal(2, reopened.Count);
        Assert.Equal(3UL, reopened.Append(Batch(3), 4));
    }

    [Fact]
    public async Task WaitForChange_CompletesWhenABatchArrives()
    {
        using var log = Open(Options());

        var waiting = log.WaitForChangeAsync(CancellationToken.None).AsTask();
        Assert.False(waiting.IsCompleted);
        log.Append(Batch(1), 4);

        await waiting.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void FsyncPolicy_Interval_FlushesInTheBackgroundOnlyWhenSomethingWasWritten()
    {
        var time = new FakeTimeProvider();
        var options = Options(fsync: FsyncPolicy.Interval);
        options.FsyncIntervalMs = 500;
        using var log = Open(options, time);
        log.Append(Batch(1), 4);
        log.Append(Batch(2), 4);
        Assert.Equal(0, log.Fsyncs);

        time.Advance(TimeSpan.FromMilliseconds(500));
        Assert.Equal(1, log.Fsyncs);

        time.Advance(TimeSpan.FromMilliseconds(500));
        Assert.Equal(1, log.Fsyncs); // nothing new: no flush

        log.Append(Batch(3), 4);
        time.Advance(TimeSpan.FromMilliseconds(500));
        Assert.Equal(2, log.Fsyncs);
    }

    [Fact]
    public void FsyncPolicy_Interval_PersistsTheAckOnTheNextTick()
    {
        var time = new FakeTimeProvider();
        var options = Options(fsync: FsyncPolicy.Interval);
        using var log = Open(options, time);
        for (int i = 1; i <= 3; i++)
        {
            log.Append(Batch(i), 4);
        }

        log.Acknowledge(2);
        Assert.Equal(0UL, DurableBatchLog.Check(DeviceFolder).Acked);

        time.Advance(TimeSpan.FromMilliseconds(options.FsyncIntervalMs));

        Assert.Equal(2UL, DurableBatchLog.Check(DeviceFolder).Acked);
    }

    [Theory]
    [InlineData(FsyncPolicy.EveryBatch, 3)]
    [InlineData(FsyncPolicy.Never, 0)]
    public void FsyncPolicy_EveryBatchOrNever_FlushesAsConfigured(FsyncPolicy fsync, int expected)
    {
        var time = new FakeTimeProvider();
        using var log = Open(Options(fsync: fsync), time);

        for (int i = 1; i <= 3; i++)
        {
            log.Append(Batch(i), 4);
        }

        time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(expected, log.Fsyncs);
    }

    [Fact]
    public void CheckAll_ReportsEveryDeviceUnderTheRoot()
    {
        using (var first = new DurableBatchLog("acme", "truck-001", Options(), _log))
        using (var second = new DurableBatchLog("globex", "truck-009", Options(), _log))
        {
            first.Append(Batch(1), 4);
            second.Append(Batch(1), 4);
            second.Append(Batch(2), 4);
        }

        var reports = DurableBatchLog.CheckAll(_root);

        Assert.Equal(2, reports.Count);
        Assert.EndsWith(Path.Combine("acme", "truck-001"), reports[0].Folder, StringComparison.Ordinal);
        Assert.Equal((1, 2), (reports[0].Records, reports[1].Records));
        Assert.All(reports, r => Assert.True(r.Healthy));
    }

    [Fact]
    public void Open_AmidGarbageFiles_StartsAndKeepsWhatIsIntact()
    {
        var options = Options(segmentBytes: 64 * 1024);
        using (var log = Open(options))
        {
            for (int i = 1; i <= 5; i++)
            {
                log.Append(Batch(i), 4);
            }
        }

        var random = new Random(42);
        byte[] noise = new byte[5000];
        random.NextBytes(noise);
        File.WriteAllBytes(Path.Combine(DeviceFolder, "00000000000000000003.seg"), noise); // overlaps the real one
        File.WriteAllBytes(Path.Combine(DeviceFolder, "ack"), noise[..24]);
        File.WriteAllBytes(Path.Combine(DeviceFolder, "ack.tmp"), noise[..10]);
        File.WriteAllBytes(Path.Combine(DeviceFolder, "notes.txt"), noise[..10]);
        File.WriteAllBytes(Path.Combine(DeviceFolder, "12.seg"), noise[..10]);

        using var reopened = Open(options);

        Assert.Equal(5, reopened.Count);
        Assert.Equal(5UL, reopened.LastSequence);
        Assert.Equal(6UL, reopened.Append(Batch(6), 4));
        ulong after = 0;
        int served = 0;
        while (reopened.TryGetNext(after, out ulong sequence, out _))
        {
            Assert.True(sequence > after);
            after = sequence;
            served++;
        }

        Assert.Equal(6, served);
        Assert.False(File.Exists(Path.Combine(DeviceFolder, "ack.tmp")));
    }

    [Fact]
    public async Task AppendsAndAcksFromTwoThreads_DeliverEveryBatchOnceInOrder()
    {
        const int Batches = 400;
        using var log = Open(Options(segmentBytes: 64 * 1024));
        var delivered = new List<ulong>();

        var producer = Task.Run(() =>
        {
            for (int i = 1; i <= Batches; i++)
            {
                log.Append(Batch(i, points: 30), 30);
            }
        });
        var uplink = Task.Run(async () =>
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            ulong sent = 0;
            while (sent < Batches)
            {
                if (log.TryGetNext(sent, out ulong sequence, out byte[] bytes))
                {
                    Assert.Equal(sequence, TelemetryBatch.Parser.ParseFrom(bytes).Sequence);
                    delivered.Add(sequence);
                    sent = sequence;
                    log.Acknowledge(sequence);
                    continue;
                }

                await log.WaitForChangeAsync(timeout.Token);
            }
        });

        await Task.WhenAll(producer, uplink);

        Assert.Equal(Enumerable.Range(1, Batches).Select(i => (ulong)i), delivered);
        Assert.Equal(0, log.Count);
        Assert.Equal(1, log.Segments);
    }

    [Theory]
    [InlineData("Folder", "EdgeAgent:Buffer:Folder")]
    [InlineData("SegmentBytes", "EdgeAgent:Buffer:SegmentBytes")]
    [InlineData("MaxBytes", "EdgeAgent:Buffer:MaxBytes")]
    [InlineData("FsyncIntervalMs", "EdgeAgent:Buffer:FsyncIntervalMs")]
    public void Validate_NamesTheBadKey(string property, string key)
    {
        var options = new DurableBufferOptions();
        options.Validated(); // the defaults work
        switch (property)
        {
            case "Folder": options.Folder = " "; break;
            case "SegmentBytes": options.SegmentBytes = 10; break;
            case "MaxBytes": options.MaxBytes = options.SegmentBytes; break;
            default: options.FsyncIntervalMs = 0; break;
        }

        var e = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() => options.Validated());
        Assert.Contains(key, e.Message, StringComparison.Ordinal);
    }
}
