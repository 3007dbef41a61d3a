using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Convoy.AlertEngine.Kernels;

/// <summary>
/// One per-pair test of a rate of change, written once for every width: <c>dv</c> is a reading
/// minus the one before it, <c>dtMs</c> the milliseconds between them (as a float), <c>perMinute</c>
/// the rule's rate in the value's unit per minute. The rate is compared without a division:
/// <c>dv * 60000 &gt; perMinute * dtMs</c>, which also keeps a zero interval from dividing by zero.
/// What must stay true: each vector member performs the same IEEE operations as the scalar one,
/// in the same order (one multiplication per side, then an ordered comparison), so lane for lane it
/// is all-ones exactly where the scalar member returns true. A pair without a positive interval
/// (the same timestamp twice) has no rate and matches neither op; NaN never matches.
/// </summary>
internal interface IRateOp
{
    static abstract bool Matches(float dv, float dtMs, float perMinute);

    static abstract Vector128<float> Matches(Vector128<float> dv, Vector128<float> dtMs, Vector128<float> perMinute);

    static abstract Vector256<float> Matches(Vector256<float> dv, Vector256<float> dtMs, Vector256<float> perMinute);

    static abstract Vector512<float> Matches(Vector512<float> dv, Vector512<float> dtMs, Vector512<float> perMinute);
}

/// <summary>Rising faster than <c>perMinute</c>: <c>dt &gt; 0 &amp;&amp; dv * 60000 &gt; perMinute * dt</c>.</summary>
internal readonly struct RiseAboveOp : IRateOp
{
    public const float MsPerMinute = 60_000f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Matches(float dv, float dtMs, float perMinute) => dtMs > 0f && dv * MsPerMinute > perMinute * dtMs;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Matches(Vector128<float> dv, Vector128<float> dtMs, Vector128<float> perMinute) =>
        Vector128.GreaterThan(dtMs, Vector128<float>.Zero) & Vector128.GreaterThan(dv * Vector128.Create(MsPerMinute), perMinute * dtMs);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Matches(Vector256<float> dv, Vector256<float> dtMs, Vector256<float> perMinute) =>
        Vector256.GreaterThan(dtMs, Vector256<float>.Zero) & Vector256.GreaterThan(dv * Vector256.Create(MsPerMinute), perMinute * dtMs);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Matches(Vector512<float> dv, Vector512<float> dtMs, Vector512<float> perMinute) =>
        Vector512.GreaterThan(dtMs, Vector512<float>.Zero) & Vector512.GreaterThan(dv * Vector512.Create(MsPerMinute), perMinute * dtMs);
}

/// <summary>Rising no faster than <c>perMinute</c> (or falling): <c>dt &gt; 0 &amp;&amp; dv * 60000 &lt;= perMinute * dt</c>.</summary>
internal readonly struct RiseAtOrBelowOp : IRateOp
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Matches(float dv, float dtMs, float perMinute) => dtMs > 0f && dv * RiseAboveOp.MsPerMinute <= perMinute * dtMs;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Matches(Vector128<float> dv, Vector128<float> dtMs, Vector128<float> perMinute) =>
        Vector128.GreaterThan(dtMs, Vector128<float>.Zero) & Vector128.LessThanOrEqual(dv * Vector128.Create(RiseAboveOp.MsPerMinute), perMinute * dtMs);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Matches(Vector256<float> dv, Vector256<float> dtMs, Vector256<float> perMinute) =>
        Vector256.GreaterThan(dtMs, Vector256<float>.Zero) & Vector256.LessThanOrEqual(dv * Vector256.Create(RiseAboveOp.MsPerMinute), perMinute * dtMs);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Matches(Vector512<float> dv, Vector512<float> dtMs, Vector512<float> perMinute) =>
        Vector512.GreaterThan(dtMs, Vector512<float>.Zero) & Vector512.LessThanOrEqual(dv * Vector512.Create(RiseAboveOp.MsPerMinute), perMinute * dtMs);
}
