using Convoy.EdgeAgent.Aggregation;
using CsCheck;

namespace Convoy.EdgeAgent.Tests.Aggregation;

/// <summary>What every reduction promises, for any readings: the property tests of <see cref="SensorFilter"/>.</summary>
public sealed class SensorFilterPropertyTests
{
    private const long Start = 1_700_000_000_000;

    // Steps of 0..20 s (0 repeats a timestamp), now and then a long gap (a sensor that went quiet).
    private static readonly Gen<int> Step = Gen.Frequency((20, (IGen<int>)Gen.Int[0, 20_000]), (1, Gen.Int[60_000, 900_000]));

    private static readonly Gen<float> Value = Gen.Frequency((6, (IGen<float>)Gen.Float[-5f, 12f]), (1, Gen.Float[-40f, 40f]));

    private static readonly Gen<Reading[]> Readings = Gen.Select(Value.Array[0, 300], Step.Array[300]).Select((values, steps) =>
    {
        var readings = new Reading[values.Length];
        long time = Start;
        for (int i = 0; i < values.Length; i++)
        {
            time += steps[i];
            readings[i] = new Reading(time, values[i]);
        }

        return readings;
    });

    [Fact]
    public void Push_DeadBand_NoInputDiffersFromTheLastSentByMoreThanTheBand()
    {
        Gen.Select(Readings, Gen.Double[0, 5], Gen.Int[1, 600]).Sample((readings, band, maxIntervalS) =>
        {
            var filter = new SensorFilter(new SensorAggregationOptions { Mode = AggregationMode.DeadBand, DeadBand = band, MaxInterval = TimeSpan.FromSeconds(maxIntervalS) });
            var output = new List<Reading>();
            foreach (var reading in readings)
            {
                filter.Push(reading, output);
                var sent = output[^1];
                Assert.True(Math.Abs((double)reading.Value - sent.Value) <= band, $"{reading} is more than {band} from the last sent {sent}");
                Assert.True(reading.TimeMs - sent.TimeMs < maxIntervalS * 1000L, $"{reading} is {maxIntervalS} s or more after the last sent {sent}");
            }

            filter.Flush(output);
            AssertOrderedSubset(readings, output);
        });
    }

    /// <summary>Every reading through a Window-mode filter of <paramref name="windowS"/> seconds, then flushed.</summary>
    private static (SensorFilter Filter, List<Reading> Output) Windowed(Reading[] readings, int windowS)
    {
        var filter = new SensorFilter(new SensorAggregationOptions { Mode = AggregationMode.Window, Window = TimeSpan.FromSeconds(windowS) });
        var output = new List<Reading>();
        foreach (var reading in readings)
        {
            filter.Push(reading, output);
        }

        filter.Flush(output);
        return (filter, output);
    }

    [Fact]
    public void Push_Window_SendsEachWindowsMinMaxAndLastOnly()
    {
        Gen.Select(Readings, Gen.Int[1, 300]).Sample((readings, windowS) =>
        {
            var (filter, output) = Windowed(readings, windowS);
            AssertOrderedSubset(readings, output);
            long windowMs = windowS * 1000L;
            foreach (var window in readings.GroupBy(r => r.TimeMs / windowMs))
            {
                var sent = output.Where(r => r.TimeMs / windowMs == window.Key).ToList();
                Assert.InRange(sent.Count, 1, 3);
                Assert.Contains(window.Min(r => r.Value), sent.Select(r => r.Value));
                Assert.Contains(window.Max(r => r.Value), sent.Select(r => r.Value));
                Assert.Equal(window.Last(), sent[^1]);
            }
        });
    }

    [Fact]
    public void Push_Window_SummarisesEachWindowsCountMeanMinMaxAndLast()
    {
        Gen.Select(Readings, Gen.Int[1, 300]).Sample((readings, windowS) =>
        {
            var (filter, output) = Windowed(readings, windowS);
            long windowMs = windowS * 1000L;
            var expected = readings.GroupBy(r => r.TimeMs / windowMs).ToList();
            Assert.Equal(expected.Count, filter.ClosedWindows.Count);
            foreach (var (window, summary) in expected.Zip(filter.ClosedWindows))
            {
                Assert.Equal((window.Key * windowMs, windowMs), (summary.StartMs, summary.LengthMs));
                Assert.Equal(window.Count(), summary.Count);
                Assert.Equal((window.Min(r => r.Value), window.Max(r => r.Value), window.Last().Value), (summary.Min, summary.Max, summary.Last));
                double mean = window.Average(r => (double)r.Value);
                Assert.True(Math.Abs(summary.Mean - mean) <= 1e-4 * Math.Max(1, Math.Abs(mean)), $"mean {summary.Mean}, expected {mean}");
                Assert.InRange(summary.Mean, summary.Min, summary.Max);
            }
        });
    }

    [Fact]
    public void Push_ExcursionBand_KeepsEveryRawReadingOutsideTheBandAndAroundIt()
    {
        var mode = Gen.Enum<AggregationMode>();
        Gen.Select(Readings, mode, Gen.Int[0, 300], Gen.Int[0, 600]).Sample((readings, aggregation, beforeS, afterS) =>
        {
            var options = new SensorAggregationOptions
            {
                Mode = aggregation,
                DeadBand = 2,
                Window = TimeSpan.FromMinutes(5),
                ExcursionBelow = -2,
                ExcursionAbove = 8,
                KeepBefore = TimeSpan.FromSeconds(beforeS),
                KeepAfter = TimeSpan.FromSeconds(afterS),
            };
            var filter = new SensorFilter(options);
            var output = new List<Reading>();
            foreach (var reading in readings)
            {
                filter.Push(reading, output);
            }

            filter.Flush(output);
            AssertOrderedSubset(readings, output);
            var outside = readings.Where(r => r.Value is < -2 or > 8).ToList();
            foreach (var reading in readings)
            {
                bool mustKeep = outside.Any(e => reading.TimeMs >= e.TimeMs - (beforeS * 1000L) && reading.TimeMs <= e.TimeMs + (afterS * 1000L));
                if (mustKeep)
                {
                    Assert.Contains(reading, output);
                }
            }

            Assert.True(filter.ExcursionReadings >= outside.Count);
        });
    }

    [Fact]
    public void Push_NoBand_RawSendsEverythingAtOnce()
    {
        Readings.Sample(readings =>
        {
            var filter = new SensorFilter(new SensorAggregationOptions());
            var output = new List<Reading>();
            foreach (var reading in readings)
            {
                filter.Push(reading, output);
            }

            Assert.Equal(readings, output);
            Assert.Equal(0, filter.ExcursionReadings);
        });
    }

    [Fact]
    public void Push_SteadyTemperature_DeadBandSendsOnlyHeartbeats()
    {
        var filter = new SensorFilter(new SensorAggregationOptions { Mode = AggregationMode.DeadBand, DeadBand = 0.5, MaxInterval = TimeSpan.FromMinutes(5) });
        var output = new List<Reading>();

        for (int s = 0; s < 3600; s++)
        {
            filter.Push(new Reading(Start + (s * 1000L), 2f + (0.1f * (s % 3))), output);
        }

        Assert.Equal(12, output.Count); // one every 5 minutes over the hour
    }

    /// <summary>The output is made of input readings (unchanged), in time order, each at most once.</summary>
    private static void AssertOrderedSubset(Reading[] input, List<Reading> output)
    {
        int i = 0;
        foreach (var sent in output)
        {
            while (i < input.Length && input[i] != sent)
            {
                i++;
            }

            Assert.True(i < input.Length, $"{sent} was sent but is not an input reading in order");
            i++;
        }
    }
}
