using Convoy.AlertEngine.Kernels;
using Convoy.AlertEngine.Rules;
using Convoy.Contracts.Alerts.V1;
using CsCheck;

namespace Convoy.AlertEngine.Tests;

/// <summary>
/// The rate-of-change kernel, at every width, gives bit for bit the mask of its scalar reference,
/// for random columns with NaN, ±Inf, ±0, subnormals and extremes, offsets with repeated
/// timestamps and gaps past 2^24 and past int.MaxValue ms, empty columns and every length mod
/// the vector widths; and the rate rule decides exactly as its reading-by-reading reference,
/// however the readings are split into batches.
/// </summary>
public sealed class RateKernelPropertyTests
{
    private const int MaxLength = 700;
    private const ulong Garbage = 0xA5A5_5A5A_DEAD_BEEF;
    private static readonly VectorWidth[] Widths = [VectorWidth.Scalar, VectorWidth.W128, VectorWidth.W256, VectorWidth.W512, VectorWidths.Widest];

    private static readonly float[] SpecialFloats =
    [
        float.NaN, -float.NaN, float.PositiveInfinity, float.NegativeInfinity, 0f, -0f, float.Epsilon, -float.Epsilon, 1e-40f,
        float.MaxValue, float.MinValue, 1f, -1f, 8f, 0.5f,
    ];

    private static readonly Gen<float> Reading = Gen.Frequency(
        (5, (IGen<float>)Gen.Float[-10f, 10f]),
        (2, Gen.OneOf(SpecialFloats)),
        (1, Gen.Float));

    // Steps between timestamps: mostly seconds to minutes, some repeated, some huge.
    private static readonly Gen<uint> Step = Gen.Frequency(
        (6, (IGen<uint>)Gen.UInt[1, 120_000]),
        (2, Gen.Const(0u)),
        (1, Gen.UInt[16_777_000, 16_778_000]),
        (1, Gen.UInt[2_147_483_000u, 2_147_484_000u]));

    private static readonly Gen<(uint[] Offsets, float[] Values, float Rate)> Columns =
        Gen.Int[0, MaxLength].SelectMany(n => Gen.Select(Step.Array[n], Reading.Array[n], Gen.Frequency((4, (IGen<float>)Gen.Float[0f, 5f]), (1, Gen.OneOf(SpecialFloats))),
            (steps, values, rate) =>
            {
                var offsets = new uint[n];
                uint t = 0;
                for (int i = 0; i < n; i++)
                {
                    t = unchecked(t + steps[i]); // wraps like a fixed32 would never do; still both paths alike
                    offsets[i] = t;
                }

                return (offsets, values, rate);
            }));

    [Fact]
    public void RiseAbove_AnyColumnAndRate_VectorEqualsScalar() =>
        Columns.Sample(c => AssertRate(c.Offsets, c.Values, c.Rate), iter: 400);

    [Fact]
    public void RateKernels_EveryLengthUpTo300_VectorEqualsScalar()
    {
        var random = new Random(6);
        for (int n = 0; n <= 300; n++)
        {
            var offsets = new uint[n];
            var values = new float[n];
            uint t = 0;
            for (int i = 0; i < n; i++)
            {
                t += (uint)random.Next(0, 3) * 30_000u;
                offsets[i] = t;
                values[i] = random.Next(5) == 0 ? SpecialFloats[random.Next(SpecialFloats.Length)] : (float)(random.NextDouble() * 4);
            }

            AssertRate(offsets, values, 0.5f);
        }
    }

    [Fact]
    public void RateRule_AnyReadingsAnySplit_KernelPathEqualsReference()
    {
        var readings = Gen.Select(Gen.UInt[0, 90_000], Gen.Frequency((6, (IGen<float>)Gen.Float[-2f, 2f]), (1, Gen.OneOf(SpecialFloats)))).Array[0, 400];
        var cases = Gen.Select(readings, Gen.Int[1, 50], Gen.Float[0.1f, 3f], Gen.Int[0, 3]);
        cases.Sample(c =>
        {
            var (steps, chunk, rate, forMinutes) = c;
            var rule = new RateRule("rising", Severity.Warning, Signal.Temperature, 0, rate, rate / 2, TimeSpan.FromMinutes(forMinutes), TimeSpan.FromMinutes(1));
            var kernelState = new ThresholdState();
            var referenceState = new ThresholdState();
            var kernelChanges = new List<AlertChange>();
            var referenceChanges = new List<AlertChange>();
            long t = 1_700_000_000_000;
            float level = 4f;
            var all = new List<(long T, float V)>();
            foreach (var (step, delta) in steps)
            {
                t += step;
                level = float.IsFinite(delta) ? level + delta : delta;
                all.Add((t, level));
            }

            foreach (var batch in all.Chunk(chunk))
            {
                long baseMs = batch[0].T;
                uint[] offsets = batch.Select(r => (uint)(r.T - baseMs)).ToArray();
                float[] values = batch.Select(r => r.V).ToArray();
                int words = ViolationMask.WordsFor(values.Length);
                int late = rule.Evaluate(3, baseMs, offsets, values, kernelState, kernelChanges, new ulong[words], new ulong[words], new float[values.Length]);
                int referenceLate = rule.EvaluateEachReading(3, baseMs, offsets, values, referenceState, referenceChanges);
                Assert.Equal(referenceLate, late);
            }

            Assert.Equal(referenceChanges, kernelChanges);
            Assert.Equal(referenceState.ToString(), kernelState.ToString());
        }, iter: 300);
    }

    private static void AssertRate(uint[] offsets, float[] values, float rate)
    {
        int words = ViolationMask.WordsFor(values.Length);
        var expectedAbove = new ulong[words + 1];
        var expectedAtOrBelow = new ulong[words + 1];
        ScalarKernels.RiseAbove(offsets, values, rate, expectedAbove);
        ScalarKernels.RiseAtOrBelow(offsets, values, rate, expectedAtOrBelow);
        foreach (var width in Widths)
        {
            var above = Filled(words + 1);
            var atOrBelow = Filled(words + 1);
            VectorKernels.RiseAbove(offsets, values, rate, above.AsSpan(0, words), width);
            VectorKernels.RiseAtOrBelow(offsets, values, rate, atOrBelow.AsSpan(0, words), width);
            Assert.Equal(expectedAbove[..words], above[..words]);
            Assert.Equal(expectedAtOrBelow[..words], atOrBelow[..words]);
            Assert.Equal(Garbage, above[words]); // nothing written past the column's words
            if (values.Length > 0)
            {
                Assert.False(ViolationMask.IsSet(above, 0));
            }
        }
    }

    private static ulong[] Filled(int words)
    {
        var mask = new ulong[words];
        Array.Fill(mask, Garbage);
        return mask;
    }
}
