using Convoy.AlertEngine.Kernels;
using Convoy.AlertEngine.Rules;
using CsCheck;

namespace Convoy.AlertEngine.Tests;

/// <summary>
/// The kernel-driven rule decides exactly what the reading-by-reading reference decides, for any
/// readings (NaN and infinities included, values on the thresholds) split into batches at any
/// points, including duplicate timestamps and readings that arrive late.
/// </summary>
public sealed class TemperatureRulePropertyTests
{
    private static readonly float[] Interesting = [8f, 7.5f, float.BitIncrement(8f), float.BitDecrement(7.5f), float.NaN, float.PositiveInfinity, float.NegativeInfinity, -0f, 0f];

    private static readonly Gen<float> Temperature = Gen.Frequency(
        (3, (IGen<float>)Gen.Float[5f, 11f]),
        (1, Gen.OneOf(Interesting)));

    // Steps of 0..3 minutes (0 repeats a timestamp), occasionally a jump back (a late reading batch).
    private static readonly Gen<int> Step = Gen.Frequency((8, (IGen<int>)Gen.Int[0, 180_000]), (1, Gen.Int[-600_000, -1]));

    [Fact]
    public void Evaluate_AnyReadingsAnySplit_MatchesTheReadingByReadingReference()
    {
        Gen.Select(Temperature.Array[0, 400], Step.Array[400], Gen.Int[1, 130].Array[1, 20], Gen.Int[0, 600].Select(s => TimeSpan.FromSeconds(s)), Gen.Int[0, 300].Select(s => TimeSpan.FromSeconds(s)))
            .Sample((values, steps, chunkSizes, forDuration, clearFor) =>
            {
                var rule = new TemperatureRule(new TemperatureRuleOptions { Id = "p", AboveC = 8, ClearBelowC = 7.5f, For = forDuration, ClearFor = clearFor });
                var kernelState = new ThresholdState();
                var referenceState = new ThresholdState();
                var kernelChanges = new List<AlertChange>();
                var referenceChanges = new List<AlertChange>();
                long time = 1_700_000_000_000;
                int index = 0, chunk = 0;
                while (index < values.Length)
                {
                    int size = Math.Min(chunkSizes[chunk++ % chunkSizes.Length], values.Length - index);
                    // A batch's own offsets never go backwards (the collector refuses that); a
                    // negative step moves the whole next batch back in time instead.
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

                    var column = values.AsSpan(index, size);
                    int words = ViolationMask.WordsFor(size);
                    int lateK = rule.Evaluate(1, baseMs, offsets, column, kernelState, kernelChanges, new ulong[words], new ulong[words]);
                    int lateR = rule.EvaluateEachReading(1, baseMs, offsets, column, referenceState, referenceChanges);
                    if (lateK != lateR || kernelState.ToString() != referenceState.ToString())
                    {
                        return false;
                    }

                    index += size;
                }

                return kernelChanges.SequenceEqual(referenceChanges);
            }, iter: 2000);
    }
}
