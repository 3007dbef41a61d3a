using Convoy.AlertEngine.Kernels;
using Convoy.AlertEngine.Rules;
using CsCheck;

namespace Convoy.AlertEngine.Tests;

/// <summary>
/// For every rule kind beside temperature (see <see cref="TemperatureRulePropertyTests"/>): the
/// kernel-driven rule decides exactly what its reading-by-reading reference decides, for any
/// readings (NaN and infinities included, values on the thresholds) split into batches at any
/// points, including duplicate timestamps and batches that arrive late.
/// </summary>
public sealed class RulePropertyTests
{
    private const long Start = 1_700_000_000_000;

    private static readonly float[] InterestingSpeeds = [90f, 85f, float.BitIncrement(90f), float.BitDecrement(85f), 1f, float.BitDecrement(1f), 0f, -0f, float.NaN, float.PositiveInfinity, float.NegativeInfinity];

    private static readonly Gen<float> Speed = Gen.Frequency(
        (3, (IGen<float>)Gen.Float[80f, 95f]),
        (1, Gen.OneOf(InterestingSpeeds)));

    // Steps of 0..3 minutes (0 repeats a timestamp), occasionally a jump back (a late batch).
    private static readonly Gen<int> Step = Gen.Frequency((8, (IGen<int>)Gen.Int[0, 180_000]), (1, Gen.Int[-600_000, -1]));

    private static readonly Gen<TimeSpan> Duration = Gen.Int[0, 600].Select(s => TimeSpan.FromSeconds(s));

    [Fact]
    public void SpeedRule_AnyReadingsAnySplit_MatchesTheReadingByReadingReference()
    {
        Gen.Select(Speed.Array[0, 400], Step.Array[400], Gen.Int[1, 130].Array[1, 20], Duration, Duration)
            .Sample((values, steps, chunkSizes, forDuration, clearFor) =>
            {
                var rule = new SpeedRule(new SpeedRuleOptions { Id = "s", AboveKmh = 90, ClearAtOrBelowKmh = 85, For = forDuration, ClearFor = clearFor });
                var kernelState = new ThresholdState();
                var referenceState = new ThresholdState();
                var kernelChanges = new List<AlertChange>();
                var referenceChanges = new List<AlertChange>();
                foreach (var (baseMs, offsets, start, size) in Cut(values.Length, steps, chunkSizes))
                {
                    var column = values.AsSpan(start, size);
                    int words = ViolationMask.WordsFor(size);
                    int lateK = rule.Evaluate(baseMs, offsets, column, kernelState, kernelChanges, new ulong[words], new ulong[words]);
                    int lateR = rule.EvaluateEachReading(baseMs, offsets, column, referenceState, referenceChanges);
                    if (lateK != lateR || kernelState.ToString() != referenceState.ToString())
                    {
                        return false;
                    }
                }

                return kernelChanges.SequenceEqual(referenceChanges);
            }, iter: 1000);
    }

    private static readonly double[] InterestingCoordinates = [double.NaN, double.PositiveInfinity, double.NegativeInfinity, 52.5, 4.9, 0, -0.0, 180, -180];

    private static readonly Gen<double> Latitude = Gen.Frequency((6, (IGen<double>)Gen.Double[52.49, 52.51]), (1, Gen.OneOf(InterestingCoordinates)));

    private static readonly Gen<double> Longitude = Gen.Frequency((6, (IGen<double>)Gen.Double[4.885, 4.915]), (1, Gen.OneOf(InterestingCoordinates)));

    [Theory]
    [InlineData(GeofenceAlertWhen.Inside, false)]
    [InlineData(GeofenceAlertWhen.Outside, false)]
    [InlineData(GeofenceAlertWhen.Inside, true)]
    [InlineData(GeofenceAlertWhen.Outside, true)]
    public void GeofenceRule_AnyFixesAnySplit_MatchesTheFixByFixReference(GeofenceAlertWhen when, bool polygon)
    {
        Gen.Select(Gen.Select(Latitude, Longitude, Speed).Array[0, 300], Step.Array[300], Gen.Int[1, 130].Array[1, 20], Duration, Duration)
            .Sample((fixes, steps, chunkSizes, forDuration, clearFor) =>
            {
                var options = new GeofenceRuleOptions { Id = "g", AlertWhen = when, CentreLatitudeDeg = 52.5, CentreLongitudeDeg = 4.9, RadiusM = 700, For = forDuration, ClearFor = clearFor };
                if (polygon)
                {
                    options.Polygon.Add(new GeoPoint { LatitudeDeg = 52.495, LongitudeDeg = 4.89 });
                    options.Polygon.Add(new GeoPoint { LatitudeDeg = 52.507, LongitudeDeg = 4.895 });
                    options.Polygon.Add(new GeoPoint { LatitudeDeg = 52.5, LongitudeDeg = 4.9 });
                    options.Polygon.Add(new GeoPoint { LatitudeDeg = 52.505, LongitudeDeg = 4.91 });
                }

                var rule = new GeofenceRule(options);
                double[] lat = fixes.Select(f => f.Item1).ToArray();
                double[] lon = fixes.Select(f => f.Item2).ToArray();
                float[] speed = fixes.Select(f => f.Item3).ToArray();
                var kernelState = new ThresholdState();
                var referenceState = new ThresholdState();
                var kernelChanges = new List<AlertChange>();
                var referenceChanges = new List<AlertChange>();
                foreach (var (baseMs, offsets, start, size) in Cut(fixes.Length, steps, chunkSizes))
                {
                    int words = ViolationMask.WordsFor(size);
                    int lateK = rule.Evaluate(baseMs, offsets, lat.AsSpan(start, size), lon.AsSpan(start, size), speed.AsSpan(start, size), kernelState, kernelChanges, new ulong[words], new ulong[words]);
                    int lateR = rule.EvaluateEachReading(baseMs, offsets, lat.AsSpan(start, size), lon.AsSpan(start, size), speed.AsSpan(start, size), referenceState, referenceChanges);
                    if (lateK != lateR || kernelState.ToString() != referenceState.ToString())
                    {
                        return false;
                    }
                }

                return kernelChanges.SequenceEqual(referenceChanges);
            }, iter: 500);
    }

    private static readonly Gen<float> Level = Gen.Frequency(
        (4, (IGen<float>)Gen.Float[40f, 52f]),
        (1, Gen.OneOf(float.NaN, float.PositiveInfinity, float.NegativeInfinity, 0f, -0f, 100f, 45f, 50f)));

    private static readonly Gen<float> FuelSpeed = Gen.Frequency(
        (4, (IGen<float>)Gen.OneOf(0f, 0.4f)),
        (1, Gen.Float[0f, 3f]),
        (1, Gen.OneOf(1f, float.BitDecrement(1f), float.NaN, float.PositiveInfinity, float.NegativeInfinity)));

    /// <summary>A reading of either column: fuel level or GPS speed, interleaved in time.</summary>
    private static readonly Gen<(bool IsFuel, float Value)> FuelOrSpeed = Gen.Frequency(
        (3, (IGen<(bool, float)>)Level.Select(l => (true, l))),
        (2, FuelSpeed.Select(s => (false, s))));

    [Fact]
    public void FuelTheftRule_AnyReadingsAnySplit_MatchesTheReference()
    {
        Gen.Select(FuelOrSpeed.Array[0, 400], Gen.Int[0, 90_000].Array[400], Step.Array[20], Gen.Int[1, 130].Array[1, 20], Gen.Int[1, 900].Select(s => TimeSpan.FromSeconds(s)), Gen.OneOf(0f, 400f))
            .Sample((readings, steps, jumps, chunkSizes, within, capacity) =>
            {
                var rule = new FuelTheftRule(new FuelTheftRuleOptions { Id = "f", DropPercent = 5, Within = within, StationaryBelowKmh = 1 });
                var kernelState = new FuelTheftState();
                var referenceState = new FuelTheftState();
                var kernelChanges = new List<AlertChange>();
                var referenceChanges = new List<AlertChange>();
                // Mostly forward steps; a batch now and then starts back in time (a late batch).
                int[] mixed = steps.Select((s, i) => i % 37 == 36 ? jumps[i % jumps.Length] : s).ToArray();
                foreach (var (baseMs, offsets, start, size) in Cut(readings.Length, mixed, chunkSizes))
                {
                    var fuelOffsets = new List<uint>();
                    var levels = new List<float>();
                    var gpsOffsets = new List<uint>();
                    var speeds = new List<float>();
                    for (int i = 0; i < size; i++)
                    {
                        var (isFuel, value) = readings[start + i];
                        (isFuel ? fuelOffsets : gpsOffsets).Add(offsets[i]);
                        (isFuel ? levels : speeds).Add(value);
                    }

                    int words = ViolationMask.WordsFor(speeds.Count);
                    int lateK = rule.Evaluate(baseMs, fuelOffsets.ToArray(), levels.ToArray(), capacity, gpsOffsets.ToArray(), speeds.ToArray(), kernelState, kernelChanges, new ulong[words]);
                    int lateR = rule.EvaluateEachReading(baseMs, fuelOffsets.ToArray(), levels.ToArray(), capacity, gpsOffsets.ToArray(), speeds.ToArray(), referenceState, referenceChanges);
                    if (lateK != lateR || kernelState.ToString() != referenceState.ToString())
                    {
                        return false;
                    }
                }

                return kernelChanges.SequenceEqual(referenceChanges);
            }, iter: 1000);
    }

    /// <summary>
    /// Cuts <paramref name="n"/> readings into batches: each step advances time (0 repeats a
    /// timestamp); a negative step moves the whole next batch back in time, because a batch's own
    /// offsets never go backwards (the collector refuses that).
    /// </summary>
    internal static List<(long BaseMs, uint[] Offsets, int Start, int Size)> Cut(int n, int[] steps, int[] chunkSizes)
    {
        var batches = new List<(long, uint[], int, int)>();
        long time = Start;
        int index = 0, chunk = 0;
        while (index < n)
        {
            int size = Math.Min(chunkSizes[chunk++ % chunkSizes.Length], n - index);
            if (steps[index % steps.Length] < 0)
            {
                time += steps[index % steps.Length];
            }

            long baseMs = time;
            var offsets = new uint[size];
            for (int i = 0; i < size; i++)
            {
                time += Math.Max(0, steps[(index + i) % steps.Length]);
                offsets[i] = (uint)(time - baseMs);
            }

            batches.Add((baseMs, offsets, index, size));
            index += size;
        }

        return batches;
    }
}
