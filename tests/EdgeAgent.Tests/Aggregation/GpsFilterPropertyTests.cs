using Convoy.EdgeAgent.Aggregation;
using CsCheck;

namespace Convoy.EdgeAgent.Tests.Aggregation;

public sealed class GpsFilterPropertyTests
{
    private const long Start = 1_700_000_000_000;

    /// <summary>A track: runs of driving (with turns) and of standing still, fixes 1..5 s apart, now and then a tunnel.</summary>
    private static readonly Gen<Fix[]> Track = Gen.Select(
        Gen.Select(Gen.Bool, Gen.Int[1, 40], Gen.Float[-30f, 30f]).Array[1, 20],
        Gen.Frequency((30, (IGen<int>)Gen.Int[1_000, 5_000]), (1, Gen.Int[60_000, 600_000])).Array[800])
        .Select((runs, steps) =>
        {
            var fixes = new List<Fix>();
            double lat = 52.37, lon = 4.9;
            float heading = 90;
            long time = Start;
            foreach (var (driving, length, turn) in runs)
            {
                for (int i = 0; i < length && fixes.Count < steps.Length; i++)
                {
                    time += steps[fixes.Count];
                    float speed = driving ? 50 + (i % 7) : 0.5f;
                    if (driving)
                    {
                        heading = (heading + (turn / length) + 360) % 360;
                        lat += Math.Cos(heading * Math.PI / 180) * 0.0001;
                        lon += Math.Sin(heading * Math.PI / 180) * 0.0001;
                    }

                    fixes.Add(new Fix(time, lat, lon, speed, heading));
                }
            }

            return fixes.ToArray();
        });

    [Fact]
    public void Push_AnyTrack_KeepsTheFirstAndLastFixOfEveryStop()
    {
        Gen.Select(Track, Gen.Int[10, 500], Gen.Int[5, 90], Gen.Int[10, 300]).Sample((track, distance, turn, maxS) =>
        {
            var filter = new GpsFilter(new GpsAggregationOptions { Mode = AggregationMode.DeadBand, MinDistanceM = distance, MinTurnDeg = turn, MaxInterval = TimeSpan.FromSeconds(maxS) });
            var output = new List<Fix>();
            foreach (var fix in track)
            {
                filter.Push(fix, output);
            }

            filter.Flush(output);

            Assert.Equal(track[0], output[0]);
            Assert.Equal(track[^1], output[^1]);
            Assert.Equal(output.OrderBy(f => f.TimeMs).ToList(), output);
            for (int i = 0; i < track.Length; i++)
            {
                bool stopped = track[i].SpeedKmh < 3;
                bool firstOfStop = stopped && (i == 0 || track[i - 1].SpeedKmh >= 3);
                bool lastOfStop = stopped && (i == track.Length - 1 || track[i + 1].SpeedKmh >= 3);
                bool beforeTunnel = i < track.Length - 1 && track[i + 1].TimeMs - track[i].TimeMs > maxS * 1000L;
                if (firstOfStop || lastOfStop || beforeTunnel)
                {
                    Assert.Contains(track[i], output);
                }
            }
        });
    }

    [Fact]
    public void Push_AnyTrack_NoDrivenStretchBetweenSentFixesLongerThanTheRules()
    {
        Gen.Select(Track, Gen.Int[10, 500], Gen.Int[10, 300]).Sample((track, distance, maxS) =>
        {
            var filter = new GpsFilter(new GpsAggregationOptions { Mode = AggregationMode.DeadBand, MinDistanceM = distance, MinTurnDeg = 180, MaxInterval = TimeSpan.FromSeconds(maxS) });
            var output = new List<Fix>();
            foreach (var fix in track)
            {
                filter.Push(fix, output);
                var sent = output[^1];
                // Every fix is within the distance of the last sent fix, or was sent itself.
                Assert.True(GpsFilter.Distance(sent, fix) <= distance || sent == fix || fix.SpeedKmh < 3,
                    $"{fix} is {GpsFilter.Distance(sent, fix):F0} m from the last sent {sent}");
            }
        });
    }

    [Fact]
    public void Push_Speeding_EveryFixAboveTheLimitIsSentAndCounted()
    {
        var filter = new GpsFilter(new GpsAggregationOptions { Mode = AggregationMode.DeadBand, MinDistanceM = 10_000, MaxInterval = TimeSpan.FromHours(1), SpeedingAboveKmh = 90 });
        var output = new List<Fix>();

        for (int s = 0; s < 600; s++)
        {
            filter.Push(new Fix(Start + (s * 1000L), 52.37 + (s * 0.0002), 4.9, s is >= 100 and < 160 ? 105 : 80, 0), output);
        }

        Assert.Equal(60, filter.ExcursionReadings);
        Assert.Equal(60, output.Count(f => f.SpeedKmh > 90));
        Assert.True(output.Count < 70, $"{output.Count} fixes sent");
    }
}
