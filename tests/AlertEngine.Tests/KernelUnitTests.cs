using Convoy.AlertEngine.Kernels;

namespace Convoy.AlertEngine.Tests;

/// <summary>
/// The kernels' semantics pinned by examples, at every width: what violates, what is inside, the
/// mask layout, and where transitions are. The property tests prove the widths agree; these say
/// what they agree on.
/// </summary>
public sealed class KernelUnitTests
{
    private static readonly VectorWidth[] Widths = [VectorWidth.Scalar, VectorWidth.W128, VectorWidth.W256, VectorWidth.W512];

    [Fact]
    public void Above_NaNReading_NeverViolates()
    {
        float[] values = [float.NaN, 9f, -float.NaN, BitConverter.Int32BitsToSingle(0x7FC0_1234)];

        foreach (var width in Widths)
        {
            Assert.Equal([1], Set(values, v => VectorKernels.Above(v.Values, 8f, v.Mask, width)));
            Assert.Equal([], Set(values, v => VectorKernels.Below(v.Values, 8f, v.Mask, width)));
            Assert.Equal([1], Set(values, v => VectorKernels.Outside(v.Values, 0f, 8f, v.Mask, width)));
        }
    }

    [Fact]
    public void Above_NaNThreshold_FlagsNothing()
    {
        float[] values = [float.NegativeInfinity, -1f, 0f, 1f, float.PositiveInfinity, float.NaN];

        foreach (var width in Widths)
        {
            Assert.Equal([], Set(values, v => VectorKernels.Above(v.Values, float.NaN, v.Mask, width)));
            Assert.Equal([], Set(values, v => VectorKernels.Below(v.Values, float.NaN, v.Mask, width)));
            // A NaN bound disables only its own side.
            Assert.Equal([4], Set(values, v => VectorKernels.Outside(v.Values, float.NaN, 1f, v.Mask, width)));
        }
    }

    [Fact]
    public void Thresholds_ReadingEqualToTheBound_DoesNotViolate()
    {
        float below = BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(8f) - 1);
        float above = BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(8f) + 1);
        float[] values = [below, 8f, above];

        foreach (var width in Widths)
        {
            Assert.Equal([2], Set(values, v => VectorKernels.Above(v.Values, 8f, v.Mask, width)));
            Assert.Equal([0], Set(values, v => VectorKernels.Below(v.Values, 8f, v.Mask, width)));
            Assert.Equal([], Set(values, v => VectorKernels.Outside(v.Values, below, above, v.Mask, width)));
            Assert.Equal([0, 2], Set(values, v => VectorKernels.Outside(v.Values, 8f, 8f, v.Mask, width)));
        }
    }

    [Fact]
    public void Thresholds_InfinitiesAndSignedZeros_CompareAsIeeeSays()
    {
        float[] values = [float.NegativeInfinity, -0f, 0f, float.Epsilon, float.MaxValue, float.PositiveInfinity];

        foreach (var width in Widths)
        {
            Assert.Equal([5], Set(values, v => VectorKernels.Above(v.Values, float.MaxValue, v.Mask, width)));
            Assert.Equal([], Set(values, v => VectorKernels.Above(v.Values, float.PositiveInfinity, v.Mask, width)));
            Assert.Equal([1, 2, 3, 4, 5], Set(values, v => VectorKernels.Above(v.Values, float.NegativeInfinity, v.Mask, width)));
            // -0 equals +0, so neither is above the other; the smallest subnormal is above both.
            Assert.Equal([3, 4, 5], Set(values, v => VectorKernels.Above(v.Values, -0f, v.Mask, width)));
            Assert.Equal([0], Set(values, v => VectorKernels.Below(v.Values, 0f, v.Mask, width)));
        }
    }

    [Fact]
    public void Mask_70Readings_TwoWordsWithTheTailBitsClearedAndNothingBeyond()
    {
        var warm = new float[70];
        Array.Fill(warm, 9f);
        var cold = new float[70];
        Array.Fill(cold, 7f);

        foreach (var width in Widths)
        {
            ulong[] mask = [0, 0, 0xDEAD];
            VectorKernels.Above(warm, 8f, mask, width);
            Assert.Equal([ulong.MaxValue, 0b11_1111UL, 0xDEAD], mask);

            VectorKernels.Above(cold, 8f, mask, width);
            Assert.Equal([0UL, 0UL, 0xDEAD], mask);
        }
    }

    [Fact]
    public void Kernels_EmptyColumn_WriteNothingAndAcceptAnEmptyMask()
    {
        ulong[] mask = [0xDEAD];

        VectorKernels.Above([], 8f, Span<ulong>.Empty);
        VectorKernels.Outside([], 0f, 8f, mask);
        VectorKernels.InsideCircle([], [], new CircleFence(0, 0, 1), mask);

        Assert.Equal([0xDEADUL], mask);
    }

    [Fact]
    public void Kernels_MaskTooShortOrColumnsOfUnequalLength_Throw()
    {
        var values = new float[65];

        Assert.Throws<ArgumentException>(() => VectorKernels.Above(values, 8f, new ulong[1]));
        Assert.Throws<ArgumentException>(() => ScalarKernels.Above(values, 8f, new ulong[1]));
        Assert.Throws<ArgumentException>(() => VectorKernels.InsideCircle(new double[3], new double[2], new CircleFence(0, 0, 1), new ulong[1]));
        Assert.Throws<ArgumentException>(() => new PolygonFence([0, 1], [0, 1]));
    }

    [Fact]
    public void InsideCircle_CentreBoundaryAndBeyond()
    {
        // Radius 0.5° (exact in binary), centred at 10°N 20°E.
        var fence = new CircleFence(10, 20, 0.5);
        double[] lat = [10, 10.5, 10.5000001, 9.5, 10, double.NaN, 10, double.PositiveInfinity];
        double[] lon = [20, 20, 20, 20, double.NaN, 20, double.NegativeInfinity, 20];

        foreach (var width in Widths)
        {
            Assert.Equal([0, 1, 3], Inside(lat, lon, (a, o, m) => VectorKernels.InsideCircle(a, o, fence, m, width)));
        }
    }

    [Fact]
    public void InsideCircle_LongitudeScalesWithTheCosineOfTheCentreLatitude()
    {
        // At 60°N a degree of longitude is half a degree of latitude: r = 0.5° reaches ~1° east.
        var fence = new CircleFence(60, 0, 0.5);
        double[] lat = [60, 60, 60, 60];
        double[] lon = [0.9, 1.1, -0.9, -1.1];

        foreach (var width in Widths)
        {
            Assert.Equal([0, 2], Inside(lat, lon, (a, o, m) => VectorKernels.InsideCircle(a, o, fence, m, width)));
        }
    }

    [Fact]
    public void InsideCircle_FenceAcrossTheAntimeridian_ContainsPointsOnBothSides()
    {
        var fence = new CircleFence(0, 179.9, 0.3);
        double[] lat = [0, 0, 0, 0];
        double[] lon = [179.95, -179.95, -179.7, 179.5];

        foreach (var width in Widths)
        {
            Assert.Equal([0, 1], Inside(lat, lon, (a, o, m) => VectorKernels.InsideCircle(a, o, fence, m, width)));
        }
    }

    [Fact]
    public void InsidePolygon_ConcaveOutline_NotchIsOutside()
    {
        // A U opening north: (lat, lon) corners of a 3x3 square with a 1-wide notch from the top.
        var fence = new PolygonFence([0, 3, 3, 1, 1, 3, 3, 0], [0, 0, 1, 1, 2, 2, 3, 3]);
        double[] lat = [0.5, 2, 2, 2, 4, 1.5, double.NaN];
        double[] lon = [1.5, 0.5, 1.5, 2.5, 1.5, -1, 1.5];

        foreach (var width in Widths)
        {
            Assert.Equal([0, 1, 3], Inside(lat, lon, (a, o, m) => VectorKernels.InsidePolygon(a, o, fence, m, width)));
        }
    }

    [Fact]
    public void InsidePolygon_RayThroughAVertex_CountsItOnce()
    {
        // A diamond with vertices on the latitude 0 at longitudes -1 and 1: the ray from (0, 0)
        // passes through the east vertex, the ray from (0, -2) through both.
        var fence = new PolygonFence([1, 0, -1, 0], [0, 1, 0, -1]);
        double[] lat = [0, 0, 0, 0.999];
        double[] lon = [0, -2, 2, 0];

        foreach (var width in Widths)
        {
            Assert.Equal([0, 3], Inside(lat, lon, (a, o, m) => VectorKernels.InsidePolygon(a, o, fence, m, width)));
        }
    }

    [Fact]
    public void Transitions_MarkEveryChangeOfVerdict()
    {
        ulong[] mask = [0b101_1100UL];

        Assert.Equal([2, 5, 6], Transitions(mask, 7, before: false));
        Assert.Equal([0, 2, 5, 6], Transitions(mask, 7, before: true));
        Assert.Equal([2, 5], Transitions(mask, 6, before: false));
        Assert.Equal([], Transitions(mask, 0, before: true));
    }

    [Fact]
    public void Transitions_AcrossAWordBoundary_AndIgnoringBitsPastN()
    {
        // Bits 63 and 64 set: one run straddling the boundary. Garbage past n = 70.
        ulong[] mask = [1UL << 63, 1UL | (0xFFUL << 6)];

        Assert.Equal([63, 65], Transitions(mask, 70, before: false));
        Assert.Equal([0], Transitions([ulong.MaxValue, ulong.MaxValue], 128, before: false));
        Assert.Equal([64], Transitions([0UL, ulong.MaxValue], 128, before: false));
    }

    private delegate void ThresholdCall((float[] Values, ulong[] Mask) column);

    private delegate void PositionCall(double[] lat, double[] lon, ulong[] mask);

    /// <summary>
    /// The violating indices of the example, found twice: with the example at the start of a
    /// column of 64 + its length (the whole-word loop of every width), and at index 64 of one 13
    /// readings longer (the last word's vector steps). The padding is NaN, which never violates;
    /// both placements must agree.
    /// </summary>
    private static int[] Set(float[] values, ThresholdCall call)
    {
        var first = new float[64 + values.Length];
        Array.Fill(first, float.NaN);
        values.CopyTo(first, 0);
        var firstMask = new ulong[ViolationMask.WordsFor(first.Length)];
        call((first, firstMask));

        var last = new float[64 + values.Length + 13];
        Array.Fill(last, float.NaN);
        values.CopyTo(last, 64);
        var lastMask = new ulong[ViolationMask.WordsFor(last.Length)];
        call((last, lastMask));

        int[] found = Indices(firstMask, first.Length);
        Assert.Equal(found, Indices(lastMask, last.Length).Select(i => i - 64));
        return found;
    }

    /// <summary>As <see cref="Set"/>, for positions: padded with NaN latitudes, which are never inside.</summary>
    private static int[] Inside(double[] lat, double[] lon, PositionCall call)
    {
        int[] found = InsideAt(0, 64 + lat.Length);
        Assert.Equal(found, InsideAt(64, 64 + lat.Length + 13).Select(i => i - 64));
        return found;

        int[] InsideAt(int start, int length)
        {
            var paddedLat = new double[length];
            var paddedLon = new double[length];
            Array.Fill(paddedLat, double.NaN);
            lat.CopyTo(paddedLat, start);
            lon.CopyTo(paddedLon, start);
            var mask = new ulong[ViolationMask.WordsFor(length)];
            call(paddedLat, paddedLon, mask);
            return Indices(mask, length);
        }
    }

    private static int[] Indices(ulong[] mask, int n)
    {
        var set = new List<int>();
        for (int i = 0; i < n; i++)
        {
            if (ViolationMask.IsSet(mask, i))
            {
                set.Add(i);
            }
        }

        return [.. set];
    }

    private static int[] Transitions(ulong[] mask, int n, bool before)
    {
        var found = new List<int>();
        foreach (int i in VectorKernels.Transitions(mask, n, before))
        {
            found.Add(i);
        }

        return [.. found];
    }
}
