using Convoy.AlertEngine.Kernels;
using CsCheck;

namespace Convoy.AlertEngine.Tests;

/// <summary>
/// Every vector kernel, at every width it can run at (forced, so AVX-512, AVX2, 128-bit and the
/// scalar stepping are all proven on any machine, and with <c>DOTNET_EnableHWIntrinsic=0</c>
/// through the runtime's software fallback), gives bit for bit the mask of its scalar reference.
/// Columns mix ordinary values with NaN (both signs, with payloads), ±Inf, ±0, subnormals and the
/// extremes; thresholds are drawn the same way or taken from the column, so equality is common.
/// Masks start full of garbage and carry a sentinel word, so a kernel that skips a word, leaves
/// stale bits past n, or writes past its words fails.
/// </summary>
public sealed class KernelPropertyTests
{
    private const int MaxLength = 1100;
    private const int Iterations = 400;
    private const ulong Garbage = 0xA5A5_5A5A_DEAD_BEEF;

    private static readonly VectorWidth[] Widths = [VectorWidth.Scalar, VectorWidth.W128, VectorWidth.W256, VectorWidth.W512, VectorWidths.Widest];

    private static readonly float[] SpecialFloats =
    [
        float.NaN, -float.NaN, BitConverter.Int32BitsToSingle(0x7FC0_1234), BitConverter.Int32BitsToSingle(0x7F80_0001),
        float.PositiveInfinity, float.NegativeInfinity, 0f, -0f,
        float.Epsilon, -float.Epsilon, 1e-40f, -1e-40f, BitConverter.Int32BitsToSingle(0x007F_FFFF), 1.17549435e-38f,
        float.MaxValue, float.MinValue, 1f, -1f, 8f, 7.5f, 8.000001f,
    ];

    private static readonly double[] SpecialDoubles =
    [
        double.NaN, -double.NaN, BitConverter.Int64BitsToDouble(0x7FF8_0000_0000_1234), double.PositiveInfinity, double.NegativeInfinity,
        0.0, -0.0, double.Epsilon, -double.Epsilon, 1e-310, double.MaxValue, double.MinValue,
        180.0, -180.0, 90.0, -90.0, 179.99999999, -179.99999999,
    ];

    private static readonly Gen<float> Reading = Gen.Frequency(
        (4, (IGen<float>)Gen.Float[-40f, 40f]),
        (3, Gen.OneOf(SpecialFloats)),
        (2, Gen.Float.Special),
        (1, Gen.Float));

    private static readonly Gen<float[]> Column = Reading.Array[0, MaxLength];

    // A threshold like a reading, or one of the column's own values (so equality is exercised).
    private static readonly Gen<(float[] Values, float A, float B, int Offset)> ColumnAndBounds =
        Gen.Select(Column, Reading, Reading, Gen.Int[0, 1 << 20], Gen.Int[0, 15], (values, a, b, pick, offset) =>
            values.Length > 0 && (pick & 1) == 0
                ? (values, values[pick % values.Length], (pick & 2) == 0 ? b : values[(pick >> 2) % values.Length], offset)
                : (values, a, b, offset));

    [Fact]
    public void Above_AnyColumnAndThreshold_VectorEqualsScalar() =>
        ColumnAndBounds.Sample(c => AssertThreshold(c.Values, c.Offset, c.A, c.B, ThresholdKind.Above), iter: Iterations);

    [Fact]
    public void Below_AnyColumnAndThreshold_VectorEqualsScalar() =>
        ColumnAndBounds.Sample(c => AssertThreshold(c.Values, c.Offset, c.A, c.B, ThresholdKind.Below), iter: Iterations);

    [Fact]
    public void Outside_AnyColumnAndRange_VectorEqualsScalar() =>
        ColumnAndBounds.Sample(c => AssertThreshold(c.Values, c.Offset, c.A, c.B, ThresholdKind.Outside), iter: Iterations);

    /// <summary>Every length 0..1100 (so every length mod 64 and mod each vector width), at varying alignments.</summary>
    [Fact]
    public void ThresholdKernels_EveryLengthUpTo1100_VectorEqualsScalar()
    {
        var random = new Random(20_260_101);
        var data = new float[MaxLength + 16];
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = random.Next(3) switch
            {
                0 => SpecialFloats[random.Next(SpecialFloats.Length)],
                _ => (float)((random.NextDouble() * 20) - 2),
            };
        }

        for (int n = 0; n <= MaxLength; n++)
        {
            int offset = n % 7;
            AssertThreshold(data[offset..(offset + n)], 0, 8f, 8f, ThresholdKind.Above);
            AssertThreshold(data[offset..(offset + n)], 0, 2f, 2f, ThresholdKind.Below);
            AssertThreshold(data[offset..(offset + n)], 0, 2f, 8f, ThresholdKind.Outside);
        }
    }

    [Fact]
    public void InsideCircle_AnyPositionsAndFence_VectorEqualsScalar()
    {
        var centreLat = Gen.Frequency((8, (IGen<double>)Gen.Double[-89.9, 89.9]), (1, Gen.OneOf(SpecialDoubles)));
        var centreLon = Gen.Frequency((4, (IGen<double>)Gen.Double[-180.0, 180.0]), (2, Gen.Double[178.0, 180.0]), (2, Gen.Double[-180.0, -178.0]), (1, Gen.OneOf(SpecialDoubles)));
        var radius = Gen.Frequency((8, (IGen<double>)Gen.Double[0.0, 5.0]), (1, Gen.OneOf(SpecialDoubles)), (1, Gen.Double[-1.0, 0.0]));
        var fences = Gen.Select(centreLat, centreLon, radius, (lat, lon, r) => new CircleFence(lat, lon, r));
        var cases = fences.SelectMany(fence =>
        {
            // Positions near the fence (so both verdicts and the boundary occur), near the
            // antimeridian, anywhere, or special.
            var near = Gen.Select(Gen.Double[-2.0, 2.0], Gen.Double[-2.0, 2.0], (dy, dx) =>
                (fence.CentreLatDeg + (dy * Math.Sqrt(Math.Abs(fence.RadiusDegSquared))), fence.CentreLonDeg + (dx * Math.Sqrt(Math.Abs(fence.RadiusDegSquared)))));
            var wrapped = Gen.Select(Gen.Double[-90.0, 90.0], Gen.Double[-5.0, 5.0], (lat, dLon) => (lat, dLon > 0 ? -180.0 + dLon : 180.0 + dLon));
            var anywhere = Gen.Select(Gen.Double[-90.0, 90.0], Gen.Double[-180.0, 180.0]);
            var special = Gen.Select(Gen.OneOf(SpecialDoubles), Gen.Double.Special, Gen.Bool, (s, t, swap) => swap ? (t, s) : (s, t));
            var position = Gen.Frequency(
                (5, (IGen<(double, double)>)near), (2, wrapped), (1, anywhere), (2, special));
            return Gen.Select(position.Array[0, MaxLength], Gen.Int[0, 7], (positions, offset) => (fence, positions, offset));
        });

        cases.Sample(c =>
        {
            var (lat, lon) = Split(c.positions, c.offset);
            AssertPositions(lat, lon, c.offset, new PositionCase.Circle(c.fence));
        }, iter: Iterations);
    }

    [Fact]
    public void InsidePolygon_AnyPositionsAndPolygon_VectorEqualsScalar()
    {
        // Star-shaped outlines (sorted angles) and arbitrary, self-intersecting ones, of 3 to 300
        // vertices, with the odd special vertex; points near it, on its vertices, on a vertex's
        // latitude (the ray passes through a vertex), or special.
        var vertex = Gen.Frequency<(double Angle, double Radius)>(
            (30, Gen.Select(Gen.Double[0.0, 2 * Math.PI], Gen.Double[0.05, 1.0])),
            (1, Gen.Select(Gen.OneOf(SpecialDoubles), Gen.Double[0.0, 1.0])));
        var polygons = Gen.Select(Gen.Double[-60.0, 60.0], Gen.Double[-170.0, 170.0], vertex.Array[3, 300], Gen.Bool, (lat0, lon0, polar, star) =>
        {
            if (star)
            {
                Array.Sort(polar, (p, q) => p.Angle.CompareTo(q.Angle));
            }

            var lat = new double[polar.Length];
            var lon = new double[polar.Length];
            for (int i = 0; i < polar.Length; i++)
            {
                lat[i] = lat0 + (polar[i].Radius * Math.Sin(polar[i].Angle));
                lon[i] = lon0 + (polar[i].Radius * Math.Cos(polar[i].Angle));
            }

            return (lat0, lon0, lat, lon);
        });
        var cases = polygons.SelectMany(p =>
        {
            var near = Gen.Select(Gen.Double[-1.2, 1.2], Gen.Double[-1.2, 1.2], (dy, dx) => (p.lat0 + dy, p.lon0 + dx));
            var onVertex = Gen.Int[0, p.lat.Length - 1].Select(i => (p.lat[i], p.lon[i]));
            var onVertexLatitude = Gen.Select(Gen.Int[0, p.lat.Length - 1], Gen.Double[-1.2, 1.2], (i, dx) => (p.lat[i], p.lon0 + dx));
            var special = Gen.Select(Gen.OneOf(SpecialDoubles), Gen.Double[-1.2, 1.2], Gen.Bool, (s, d, swap) => swap ? (p.lat0 + d, s) : (s, p.lon0 + d));
            var position = Gen.Frequency(
                (6, (IGen<(double, double)>)near), (1, onVertex), (2, onVertexLatitude), (1, special));
            return Gen.Select(position.Array[0, 300], Gen.Int[0, 7], (positions, offset) => (p.lat, p.lon, positions, offset));
        });

        cases.Sample(c =>
        {
            var fence = new PolygonFence(c.lat, c.lon);
            var (lat, lon) = Split(c.positions, c.offset);
            AssertPositions(lat, lon, c.offset, new PositionCase.Polygon(fence));
        }, iter: Iterations / 2);
    }

    /// <summary>Every length 0..1100 through both position kernels, at varying alignments.</summary>
    [Fact]
    public void PositionKernels_EveryLengthUpTo1100_VectorEqualsScalar()
    {
        var random = new Random(20_260_102);
        var lat = new double[MaxLength + 8];
        var lon = new double[MaxLength + 8];
        for (int i = 0; i < lat.Length; i++)
        {
            bool special = random.Next(8) == 0;
            lat[i] = special ? SpecialDoubles[random.Next(SpecialDoubles.Length)] : 52.0 + (random.NextDouble() * 2) - 1;
            lon[i] = 179.5 + (random.NextDouble() * 1.5);
            lon[i] = lon[i] > 180.0 ? lon[i] - 360.0 : lon[i];
        }

        var circle = new PositionCase.Circle(new CircleFence(52.0, 179.9, 0.4));
        var polygon = new PositionCase.Polygon(new PolygonFence([51.5, 52.5, 52.4, 51.9, 51.6], [179.2, 179.3, 179.9, 179.5, 179.95]));
        for (int n = 0; n <= MaxLength; n++)
        {
            int offset = n % 5;
            AssertPositions(lat.AsSpan(offset, n), lon.AsSpan(offset, n), offset, circle);
            AssertPositions(lat.AsSpan(offset, n), lon.AsSpan(offset, n), offset, polygon);
        }
    }

    [Fact]
    public void Transitions_AnyMaskAndLength_MatchTheBitByBitReference()
    {
        var words = Gen.Frequency(
            (3, (IGen<ulong>)Gen.ULong), (1, Gen.OneOf(0UL, ulong.MaxValue, 1UL, 1UL << 63, 0x5555_5555_5555_5555UL)));
        var cases = Gen.Select(words.Array[0, 20], Gen.Int[0, 64 * 20], Gen.Bool, (mask, n, before) => (Mask: mask, N: Math.Min(n, mask.Length * 64), Before: before));

        cases.Sample(c =>
        {
            var expected = new int[c.N];
            int count = ScalarKernels.Transitions(c.Mask, c.N, c.Before, expected);

            var actual = new List<int>();
            foreach (int i in VectorKernels.Transitions(c.Mask, c.N, c.Before))
            {
                actual.Add(i);
            }

            Assert.Equal(expected[..count], actual);
        }, iter: Iterations);
    }

    /// <summary>A kernel's mask fed to the transitions: between two transitions every reading has one verdict.</summary>
    [Fact]
    public void Transitions_OfAnAboveMask_SplitTheColumnIntoRunsOfOneVerdict() =>
        Gen.Select(Column, Reading, Gen.Bool).Sample((values, threshold, before) =>
        {
            var mask = new ulong[ViolationMask.WordsFor(values.Length)];
            VectorKernels.Above(values, threshold, mask);

            bool verdict = before;
            int next = 0;
            foreach (int change in VectorKernels.Transitions(mask, values.Length, before))
            {
                for (; next < change; next++)
                {
                    Assert.Equal(verdict, values[next] > threshold);
                }

                verdict = !verdict;
            }

            for (; next < values.Length; next++)
            {
                Assert.Equal(verdict, values[next] > threshold);
            }
        }, iter: Iterations);

    private enum ThresholdKind
    {
        Above,
        Below,
        Outside,
    }

    private abstract record PositionCase
    {
        public sealed record Circle(CircleFence Fence) : PositionCase;

        public sealed record Polygon(PolygonFence Fence) : PositionCase;
    }

    private static void AssertThreshold(float[] column, int offset, float a, float b, ThresholdKind kind)
    {
        var values = column.AsSpan(Math.Min(offset, column.Length));
        int words = ViolationMask.WordsFor(values.Length);
        var expected = Garbled(words);
        switch (kind)
        {
            case ThresholdKind.Above: ScalarKernels.Above(values, a, expected); break;
            case ThresholdKind.Below: ScalarKernels.Below(values, a, expected); break;
            default: ScalarKernels.Outside(values, a, b, expected); break;
        }

        foreach (var width in Widths)
        {
            var actual = Garbled(words);
            switch (kind)
            {
                case ThresholdKind.Above: VectorKernels.Above(values, a, actual, width); break;
                case ThresholdKind.Below: VectorKernels.Below(values, a, actual, width); break;
                default: VectorKernels.Outside(values, a, b, actual, width); break;
            }

            AssertSameMask(expected, actual, values.Length, $"{kind} at {width}, thresholds {a:R}/{b:R}, n={values.Length}");
        }
    }

    private static void AssertPositions(ReadOnlySpan<double> lat, ReadOnlySpan<double> lon, int offset, PositionCase fence)
    {
        int words = ViolationMask.WordsFor(lat.Length);
        var expected = Garbled(words);
        switch (fence)
        {
            case PositionCase.Circle c: ScalarKernels.InsideCircle(lat, lon, c.Fence, expected); break;
            case PositionCase.Polygon p: ScalarKernels.InsidePolygon(lat, lon, p.Fence, expected); break;
        }

        foreach (var width in Widths)
        {
            var actual = Garbled(words);
            switch (fence)
            {
                case PositionCase.Circle c: VectorKernels.InsideCircle(lat, lon, c.Fence, actual, width); break;
                case PositionCase.Polygon p: VectorKernels.InsidePolygon(lat, lon, p.Fence, actual, width); break;
            }

            AssertSameMask(expected, actual, lat.Length, $"{fence.GetType().Name} at {width}, n={lat.Length}, offset={offset}");
        }
    }

    private static (double[] Lat, double[] Lon) Split((double Lat, double Lon)[] positions, int offset)
    {
        int start = Math.Min(offset, positions.Length);
        var lat = new double[positions.Length - start];
        var lon = new double[positions.Length - start];
        for (int i = 0; i < lat.Length; i++)
        {
            (lat[i], lon[i]) = positions[start + i];
        }

        return (lat, lon);
    }

    /// <summary>A mask of the words a kernel must write plus one sentinel word, all garbage.</summary>
    private static ulong[] Garbled(int words)
    {
        var mask = new ulong[words + 1];
        Array.Fill(mask, Garbage);
        return mask;
    }

    private static void AssertSameMask(ulong[] expected, ulong[] actual, int n, string what)
    {
        Assert.True(actual[^1] == Garbage, $"{what}: wrote past its {expected.Length - 1} words");
        Assert.True(expected[^1] == Garbage, $"{what}: the reference wrote past its words");
        for (int w = 0; w < expected.Length - 1; w++)
        {
            if (expected[w] != actual[w])
            {
                ulong diff = expected[w] ^ actual[w];
                int bit = (w * 64) + System.Numerics.BitOperations.TrailingZeroCount(diff);
                Assert.Fail($"{what}: first difference at reading {bit} (of {n}): scalar {(expected[w] & (diff & (0 - diff))) != 0}, vector {(actual[w] & (diff & (0 - diff))) != 0}");
            }
        }

        if (n % 64 != 0)
        {
            Assert.True(expected[^2] >> (n % 64) == 0, $"{what}: the reference left bits set past n");
        }
    }
}
