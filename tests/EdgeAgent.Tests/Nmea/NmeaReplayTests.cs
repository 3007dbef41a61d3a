using System.Text;
using Convoy.EdgeAgent.Inputs.Nmea;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using static Convoy.EdgeAgent.Tests.Nmea.NmeaTestData;

namespace Convoy.EdgeAgent.Tests.Nmea;

/// <summary>Replays of the real receiver captures in the shared data folder.</summary>
public sealed class NmeaReplayTests
{
    [Fact]
    public async Task Quectel_MultiConstellationAt5Hz_GivesOneStationaryFixPerEpoch()
    {
        var (fixes, stats) = await ReplayAsync(Quectel);

        // 05:52:34.000 to 05:53:04.000 at 5 Hz; the first epoch lacks its GGA (the capture starts
        // mid-epoch) and the last its RMC (it ends mid-epoch): both still count.
        Assert.Equal(151, fixes.Count);
        Assert.All(fixes, f => Assert.True(f.Valid));
        Assert.Equal(UnixMs("2026-08-05T05:52:34.000Z"), fixes[0].UnixTimeMs);
        Assert.Equal(UnixMs("2026-08-05T05:53:04.000Z"), fixes[^1].UnixTimeMs);
        for (int i = 1; i < fixes.Count; i++)
        {
            Assert.Equal(200, fixes[i].UnixTimeMs - fixes[i - 1].UnixTimeMs);
        }

        // Stationary near 47.7N 122.3W: every fix within a few metres of the first.
        Assert.InRange(fixes[0].Latitude, 47.66, 47.67);
        Assert.InRange(fixes[0].Longitude, -122.33, -122.32);
        Assert.All(fixes, f => Assert.InRange(DistanceM(fixes[0].Latitude, fixes[0].Longitude, f.Latitude, f.Longitude), 0, 1.0));
        Assert.All(fixes.SkipLast(1), f => Assert.Equal(0.0, f.SpeedKmh));
        Assert.Null(fixes[^1].SpeedKmh); // the last epoch's RMC and VTG are not in the capture: unknown, not zero

        // GGA-carried fields come through (all but the first epoch have a GGA).
        Assert.Equal(GpsFixQuality.Unknown, fixes[0].Quality);
        Assert.All(fixes.Skip(1), f => Assert.Equal(GpsFixQuality.Gps, f.Quality));
        Assert.All(fixes.Skip(1), f => Assert.Equal(76.5, f.AltitudeM));
        Assert.All(fixes.Skip(1), f => Assert.InRange(f.Satellites!.Value, 14, 15));

        // 150 each of RMC, GGA, VTG, ZDA and GLL decoded; GSV/GSA/TXT are valid but not decoded; no errors.
        Assert.Equal(750, stats[NmeaOutcome.Decoded]);
        Assert.Equal(1530, stats[NmeaOutcome.Unsupported]);
        Assert.Equal(0, stats[NmeaOutcome.NoFix]);
        Assert.Equal(0, stats.Errors);
    }

    [Fact]
    public async Task FuzzyCases_EightDecimalCoordinatesAndFractionalSeconds_AreExact()
    {
        var (fixes, stats) = await ReplayAsync(FuzzyCases);

        Assert.Equal(14, fixes.Count);
        Assert.Equal(28, stats[NmeaOutcome.Decoded]);
        Assert.Equal(0, stats.Errors);

        var first = fixes[0];
        Assert.Equal(UnixMs("2020-03-18T13:28:20.600Z"), first.UnixTimeMs);
        Assert.Equal(41.574970204833333, first.Latitude, 1e-12);
        Assert.Equal(-93.750558640833333, first.Longitude, 1e-12);
        Assert.Equal(3.252 * 1.852, first.SpeedKmh!.Value, 1e-12);
        Assert.Equal(92.308, first.HeadingDeg);
        Assert.Equal(GpsFixQuality.Differential, first.Quality);
        Assert.Equal(9, first.Satellites);
        Assert.Equal(278.020, first.AltitudeM);

        // 4134.49822493 N: 0.1 ms later the truck moved 2.3 cm north; the parse must see it.
        Assert.Equal(41.574970415500000, fixes[1].Latitude, 1e-12);
        Assert.Equal(UnixMs("2020-03-18T13:28:20.700Z"), fixes[1].UnixTimeMs);
        Assert.True(fixes[1].Latitude > first.Latitude);

        var last = fixes[^1];
        Assert.Equal(UnixMs("2020-03-18T13:39:00.900Z"), last.UnixTimeMs);
        Assert.Equal(41.575030048500000, last.Latitude, 1e-12);
        Assert.Equal(-93.750597809666667, last.Longitude, 1e-12);
        Assert.Equal(GpsFixQuality.RtkFixed, last.Quality);
        Assert.Equal(19, last.Satellites);
        Assert.Equal(0.0, last.HeadingDeg);
    }

    [Fact]
    public async Task GarminDemoMode_GivesNoPosition_AndCountsNoFixNotErrors()
    {
        var (fixes, stats) = await ReplayAsync(Garmin);
        var (heartbeats, _) = await ReplayAsync(Garmin, includeNoFix: true);

        Assert.Empty(fixes);
        Assert.Equal(54, stats[NmeaOutcome.NoFix]); // 18 RMC status V, 18 GGA quality 8 (simulated), 18 GLL status V mode S
        Assert.Equal(0, stats[NmeaOutcome.Decoded]);
        Assert.Equal(0, stats[NmeaOutcome.BadChecksum]);
        Assert.Equal(1, stats[NmeaOutcome.Truncated]); // the capture's last line, "$GPBOD,,T,,M,,*", is cut short
        Assert.Equal(1, stats.Errors);

        // Asked for, the no-fix epochs come as heartbeats with the receiver's time and no position.
        Assert.Equal(18, heartbeats.Count);
        Assert.All(heartbeats, f => Assert.False(f.Valid));
        Assert.All(heartbeats, f => Assert.True(double.IsNaN(f.Latitude) && double.IsNaN(f.Longitude)));
        Assert.Equal(UnixMs("2005-06-14T21:43:50Z"), heartbeats[0].UnixTimeMs);
        Assert.Equal(GpsFixQuality.Simulated, heartbeats[0].Quality);
    }

    [Fact]
    public async Task Replay_PacedBySentenceTime_WaitsForTheReceiversClock_AndSkipsLongGaps()
    {
        string path = Path.Combine(Path.GetTempPath(), $"nmea-paced-{Guid.NewGuid():N}.log");
        File.WriteAllLines(path,
        [
            "# three epochs: +1 s, then a jump of an hour (a capture spliced from two sessions)",
            Sentence("GPRMC,100000.00,A,5222.2000,N,00454.0000,E,10.0,90.0,010125,,,A"),
            Sentence("GPRMC,100001.00,A,5222.2000,N,00454.0100,E,10.0,90.0,010125,,,A"),
            Sentence("GPRMC,110001.00,A,5222.2000,N,00454.0200,E,10.0,90.0,010125,,,A"),
        ]);
        try
        {
            var time = new TimerSignallingTimeProvider();
            var options = new NmeaOptions { Source = NmeaSourceKind.File, Path = path, Pacing = NmeaPacing.SentenceTime };
            options.Validated();
            var source = NmeaSources.Create(options, NullLogger.Instance, time);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await using var fixes = source.ReadFixesAsync(timeout.Token).GetAsyncEnumerator(timeout.Token);

            Assert.True(await fixes.MoveNextAsync()); // the first fix anchors the replay: no wait
            var second = fixes.MoveNextAsync().AsTask();
            await time.TimerCreated.WaitAsync(timeout.Token);
            time.Advance(TimeSpan.FromMilliseconds(999));
            bool early = await Task.WhenAny(second, Task.Delay(200, timeout.Token)) == second;
            time.Advance(TimeSpan.FromMilliseconds(1));
            Assert.True(await second.WaitAsync(timeout.Token));
            var secondFix = fixes.Current;
            var third = fixes.MoveNextAsync().AsTask();
            Assert.True(await third.WaitAsync(timeout.Token)); // an hour's jump is not waited for

            Assert.False(early);
            Assert.Equal(UnixMs("2025-01-01T10:00:01Z"), secondFix.UnixTimeMs);
            Assert.Equal(UnixMs("2025-01-01T11:00:01Z"), fixes.Current.UnixTimeMs);
            Assert.False(await fixes.MoveNextAsync());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task StreamDecoder_CrLfOverlongLinesAndTinyReads_FramesEveryLine()
    {
        var text = new StringBuilder()
            .Append("$GPTXT,01,01,01,").Append('X', 2000).Append('\n') // never a line end for 2000 bytes
            .Append(Sentence("GPGGA,120000.00,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,")).Append("\r\n")
            .Append(Sentence("GPRMC,120000.00,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W")).Append('\n')
            .Append("\r\n")
            .Append(Sentence("GPGGA,120001.00,4807.040,N,01131.000,E,1,08,0.9,545.5,M,46.9,M,,")).Append("\r\n")
            .Append(Sentence("GPRMC,120001.00,A,4807.040,N,01131.000,E,022.4,084.4,230394,003.1,W")) // no line end at all
            .ToString();
        var decoder = new NmeaStreamDecoder();
        using var stream = new TrickleStream(Encoding.ASCII.GetBytes(text), chunk: 7);

        var fixes = new List<GpsFix>();
        await foreach (var fix in decoder.ReadAsync(stream, 0, null, Timeout.InfiniteTimeSpan, CancellationToken.None))
        {
            fixes.Add(fix);
        }

        decoder.Flush();
        while (decoder.TryTake(out var last))
        {
            fixes.Add(last);
        }

        Assert.Equal(1, decoder.Statistics[NmeaOutcome.Overlong]);
        Assert.Equal(4, decoder.Statistics[NmeaOutcome.Decoded]);
        Assert.Equal(1, decoder.Statistics.Errors);
        Assert.Equal([UnixMs("1994-03-23T12:00:00Z"), UnixMs("1994-03-23T12:00:01Z")], fixes.Select(f => f.UnixTimeMs));
        Assert.Equal(545.5, fixes[1].AltitudeM);
    }

    /// <summary>
    /// Found by fuzzing (tests/fuzz/corpus/nmea/crash-*): a line one byte over the limit was
    /// overlong when it arrived in pieces but decoded when it arrived whole.
    /// </summary>
    [Theory]
    [InlineData(7)]
    [InlineData(4096)]
    public async Task StreamDecoder_LineOneByteOverTheLimit_IsOverlongHoweverItArrives(int chunk)
    {
        // Two sentences run together (a lost line end), 257 bytes in all.
        string first = Sentence("GPGGA,115959.00,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,");
        string overlong = first + "$GPTXT,01,01,01," + new string('X', NmeaParser.MaxLineLength + 1 - first.Length - "$GPTXT,01,01,01,".Length);
        string text = overlong + "\r\n" + Sentence("GPGGA,120000.00,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,") + "\r\n";
        var decoder = new NmeaStreamDecoder();
        using var stream = new TrickleStream(Encoding.ASCII.GetBytes(text), chunk);

        await foreach (var _ in decoder.ReadAsync(stream, 0, null, Timeout.InfiniteTimeSpan, CancellationToken.None))
        {
        }

        Assert.Equal(NmeaParser.MaxLineLength + 1, overlong.Length);
        Assert.Equal(1, decoder.Statistics[NmeaOutcome.Overlong]);
        Assert.Equal(1, decoder.Statistics[NmeaOutcome.Decoded]);
        Assert.Equal(1, decoder.Statistics.Errors);
    }

    /// <summary>Hands out its bytes a few at a time, as a slow serial line does.</summary>
    private sealed class TrickleStream(byte[] data, int chunk) : MemoryStream(data)
    {
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, chunk));

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, chunk)], cancellationToken);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            base.ReadAsync(buffer, offset, Math.Min(count, chunk), cancellationToken);
    }
}

/// <summary>A fake clock that says when code started waiting on it, so a test advances it only then.</summary>
internal sealed class TimerSignallingTimeProvider : FakeTimeProvider
{
    private readonly SemaphoreSlim _created = new(0);

    public Task TimerCreated => _created.WaitAsync();

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = base.CreateTimer(callback, state, dueTime, period);
        _created.Release();
        return timer;
    }
}
