namespace Convoy.AlertEngine.Kernels;

/// <summary>
/// The alert engine's per-reading rule tests over whole columns, producing masks in the layout of
/// <see cref="ViolationMask"/> (the caller's span, at least <c>(n + 63) / 64</c> words; nothing is
/// allocated). Each runs at the widest accelerated width (<see cref="VectorWidths.Widest"/>) and
/// gives, bit for bit, what its namesake in <see cref="ScalarKernels"/> gives; the overloads taking
/// a <see cref="VectorWidth"/> cap the width for tests and benchmarks.
/// NaN semantics, stated once for all: a comparison with NaN is false, so a NaN reading never
/// violates a threshold and is never inside a fence, and a NaN threshold flags nothing.
/// </summary>
internal static class VectorKernels
{
    /// <summary>Bit i set when <c>values[i] &gt; threshold</c>.</summary>
    public static void Above(ReadOnlySpan<float> values, float threshold, Span<ulong> mask) =>
        Above(values, threshold, mask, VectorWidths.Widest);

    public static void Above(ReadOnlySpan<float> values, float threshold, Span<ulong> mask, VectorWidth widest) =>
        ThresholdKernel.Run<AboveOp>(values, threshold, threshold, mask, widest);

    /// <summary>Bit i set when <c>values[i] &lt; threshold</c>.</summary>
    public static void Below(ReadOnlySpan<float> values, float threshold, Span<ulong> mask) =>
        Below(values, threshold, mask, VectorWidths.Widest);

    public static void Below(ReadOnlySpan<float> values, float threshold, Span<ulong> mask, VectorWidth widest) =>
        ThresholdKernel.Run<BelowOp>(values, threshold, threshold, mask, widest);

    /// <summary>Bit i set when <c>values[i] &lt; min || values[i] &gt; max</c> (the range is inclusive).</summary>
    public static void Outside(ReadOnlySpan<float> values, float min, float max, Span<ulong> mask) =>
        Outside(values, min, max, mask, VectorWidths.Widest);

    public static void Outside(ReadOnlySpan<float> values, float min, float max, Span<ulong> mask, VectorWidth widest) =>
        ThresholdKernel.Run<OutsideOp>(values, min, max, mask, widest);

    /// <summary>Bit i set when position i is inside the circle (see <see cref="InsideCircleOp"/>).</summary>
    public static void InsideCircle(ReadOnlySpan<double> latitudesDeg, ReadOnlySpan<double> longitudesDeg, CircleFence fence, Span<ulong> mask) =>
        InsideCircle(latitudesDeg, longitudesDeg, fence, mask, VectorWidths.Widest);

    public static void InsideCircle(ReadOnlySpan<double> latitudesDeg, ReadOnlySpan<double> longitudesDeg, CircleFence fence, Span<ulong> mask, VectorWidth widest) =>
        PositionKernel.Run<InsideCircleOp, CircleFence>(latitudesDeg, longitudesDeg, fence, mask, widest);

    /// <summary>Bit i set when position i is inside the polygon (see <see cref="InsidePolygonOp"/>).</summary>
    public static void InsidePolygon(ReadOnlySpan<double> latitudesDeg, ReadOnlySpan<double> longitudesDeg, PolygonFence fence, Span<ulong> mask) =>
        InsidePolygon(latitudesDeg, longitudesDeg, fence, mask, VectorWidths.Widest);

    public static void InsidePolygon(ReadOnlySpan<double> latitudesDeg, ReadOnlySpan<double> longitudesDeg, PolygonFence fence, Span<ulong> mask, VectorWidth widest) =>
        PositionKernel.Run<InsidePolygonOp, PolygonFence>(latitudesDeg, longitudesDeg, fence, mask, widest);

    /// <summary>
    /// Bit i (i &gt;= 1) set when reading i rose faster than <paramref name="perMinute"/> per minute
    /// since reading i - 1 (see <see cref="RiseAboveOp"/>); bit 0 is always clear.
    /// </summary>
    public static void RiseAbove(ReadOnlySpan<uint> offsetsMs, ReadOnlySpan<float> values, float perMinute, Span<ulong> mask) =>
        RiseAbove(offsetsMs, values, perMinute, mask, VectorWidths.Widest);

    public static void RiseAbove(ReadOnlySpan<uint> offsetsMs, ReadOnlySpan<float> values, float perMinute, Span<ulong> mask, VectorWidth widest) =>
        RateKernel.Run<RiseAboveOp>(offsetsMs, values, perMinute, mask, widest);

    /// <summary>Bit i (i &gt;= 1) set when reading i rose no faster than <paramref name="perMinute"/> per minute since reading i - 1, or fell; bit 0 is always clear.</summary>
    public static void RiseAtOrBelow(ReadOnlySpan<uint> offsetsMs, ReadOnlySpan<float> values, float perMinute, Span<ulong> mask) =>
        RiseAtOrBelow(offsetsMs, values, perMinute, mask, VectorWidths.Widest);

    public static void RiseAtOrBelow(ReadOnlySpan<uint> offsetsMs, ReadOnlySpan<float> values, float perMinute, Span<ulong> mask, VectorWidth widest) =>
        RateKernel.Run<RiseAtOrBelowOp>(offsetsMs, values, perMinute, mask, widest);

    /// <summary>The indices where the mask's value changes; see <see cref="MaskTransitions"/>.</summary>
    public static MaskTransitions Transitions(ReadOnlySpan<ulong> mask, int n, bool before) => new(mask, n, before);
}
