using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Convoy.AlertEngine.Kernels;

/// <summary>
/// One per-reading test of a float column against up to two bounds, written once for every width.
/// What must stay true: each vector member returns, lane for lane, all-ones exactly where the
/// scalar member returns true, so the kernel's mask does not depend on the width it ran at. That
/// holds because each member uses only IEEE comparisons (ordered: false whenever a NaN is involved),
/// which are exact and identical in scalar and vector form.
/// </summary>
internal interface IThresholdOp
{
    static abstract bool Violates(float value, float lower, float upper);

    static abstract Vector128<float> Violates(Vector128<float> values, Vector128<float> lower, Vector128<float> upper);

    static abstract Vector256<float> Violates(Vector256<float> values, Vector256<float> lower, Vector256<float> upper);

    static abstract Vector512<float> Violates(Vector512<float> values, Vector512<float> lower, Vector512<float> upper);
}

/// <summary><c>value &gt; upper</c>. NaN (value or threshold) never violates; +Inf violates any finite threshold.</summary>
internal readonly struct AboveOp : IThresholdOp
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Violates(float value, float lower, float upper) => value > upper;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Violates(Vector128<float> values, Vector128<float> lower, Vector128<float> upper) => Vector128.GreaterThan(values, upper);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Violates(Vector256<float> values, Vector256<float> lower, Vector256<float> upper) => Vector256.GreaterThan(values, upper);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Violates(Vector512<float> values, Vector512<float> lower, Vector512<float> upper) => Vector512.GreaterThan(values, upper);
}

/// <summary><c>value &lt; lower</c>. NaN (value or threshold) never violates; -Inf violates any finite threshold.</summary>
internal readonly struct BelowOp : IThresholdOp
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Violates(float value, float lower, float upper) => value < lower;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Violates(Vector128<float> values, Vector128<float> lower, Vector128<float> upper) => Vector128.LessThan(values, lower);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Violates(Vector256<float> values, Vector256<float> lower, Vector256<float> upper) => Vector256.LessThan(values, lower);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Violates(Vector512<float> values, Vector512<float> lower, Vector512<float> upper) => Vector512.LessThan(values, lower);
}

/// <summary>
/// <c>value &lt; lower || value &gt; upper</c>: outside the inclusive range, so a reading equal to
/// either bound is inside. NaN never violates; a NaN bound never matches on its side. An inverted
/// range (<c>lower &gt; upper</c>) is not rejected here: the two tests hold independently, so it
/// flags every reading but NaN, in every path alike. Rule options validate their ranges.
/// </summary>
internal readonly struct OutsideOp : IThresholdOp
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Violates(float value, float lower, float upper) => value < lower || value > upper;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Violates(Vector128<float> values, Vector128<float> lower, Vector128<float> upper) =>
        Vector128.LessThan(values, lower) | Vector128.GreaterThan(values, upper);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Violates(Vector256<float> values, Vector256<float> lower, Vector256<float> upper) =>
        Vector256.LessThan(values, lower) | Vector256.GreaterThan(values, upper);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Violates(Vector512<float> values, Vector512<float> lower, Vector512<float> upper) =>
        Vector512.LessThan(values, lower) | Vector512.GreaterThan(values, upper);
}
