using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Convoy.AlertEngine.Kernels;

/// <summary>
/// One per-reading test of a position (latitude, longitude in degrees) against a fence, written
/// once for every width. What must stay true: each vector member performs the same IEEE operations
/// as the scalar member, in the same order, on the same operands (no fused multiply-add in one and
/// not the other, no reassociation), so lane for lane it is all-ones exactly where the scalar
/// member returns true. RyuJIT never contracts a*b+c into an FMA by itself, so writing the
/// operations separately is enough to keep that.
/// </summary>
internal interface IPositionOp<TFence>
{
    static abstract bool Matches(double latDeg, double lonDeg, TFence fence);

    static abstract Vector128<double> Matches(Vector128<double> latDeg, Vector128<double> lonDeg, TFence fence);

    static abstract Vector256<double> Matches(Vector256<double> latDeg, Vector256<double> lonDeg, TFence fence);

    static abstract Vector512<double> Matches(Vector512<double> latDeg, Vector512<double> lonDeg, TFence fence);
}

/// <summary>
/// Inside a <see cref="CircleFence"/>: <c>x = wrap(lon - lon0) * cos(lat0)</c>, <c>y = lat - lat0</c>,
/// inside when <c>x*x + y*y &lt;= r^2</c>. The longitude difference is wrapped once into
/// [-180, 180], so a fence across the antimeridian works (wrapping is a compare and an exact
/// select, identical in every path). A position with a NaN or infinite coordinate is never
/// inside. So the complement of this mask is not "left the fence": a rule on leaving must also
/// require valid positions (the collector already refuses non-finite coordinates).
/// </summary>
internal readonly struct InsideCircleOp : IPositionOp<CircleFence>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Matches(double latDeg, double lonDeg, CircleFence fence)
    {
        double dLon = lonDeg - fence.CentreLonDeg;
        dLon = dLon > 180.0 ? dLon - 360.0 : dLon;
        dLon = dLon < -180.0 ? dLon + 360.0 : dLon;
        double x = dLon * fence.CosLatitude;
        double y = latDeg - fence.CentreLatDeg;
        return (x * x) + (y * y) <= fence.RadiusDegSquared;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<double> Matches(Vector128<double> latDeg, Vector128<double> lonDeg, CircleFence fence)
    {
        var dLon = lonDeg - Vector128.Create(fence.CentreLonDeg);
        dLon = Vector128.ConditionalSelect(Vector128.GreaterThan(dLon, Vector128.Create(180.0)), dLon - Vector128.Create(360.0), dLon);
        dLon = Vector128.ConditionalSelect(Vector128.LessThan(dLon, Vector128.Create(-180.0)), dLon + Vector128.Create(360.0), dLon);
        var x = dLon * Vector128.Create(fence.CosLatitude);
        var y = latDeg - Vector128.Create(fence.CentreLatDeg);
        return Vector128.LessThanOrEqual((x * x) + (y * y), Vector128.Create(fence.RadiusDegSquared));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> Matches(Vector256<double> latDeg, Vector256<double> lonDeg, CircleFence fence)
    {
        var dLon = lonDeg - Vector256.Create(fence.CentreLonDeg);
        dLon = Vector256.ConditionalSelect(Vector256.GreaterThan(dLon, Vector256.Create(180.0)), dLon - Vector256.Create(360.0), dLon);
        dLon = Vector256.ConditionalSelect(Vector256.LessThan(dLon, Vector256.Create(-180.0)), dLon + Vector256.Create(360.0), dLon);
        var x = dLon * Vector256.Create(fence.CosLatitude);
        var y = latDeg - Vector256.Create(fence.CentreLatDeg);
        return Vector256.LessThanOrEqual((x * x) + (y * y), Vector256.Create(fence.RadiusDegSquared));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> Matches(Vector512<double> latDeg, Vector512<double> lonDeg, CircleFence fence)
    {
        var dLon = lonDeg - Vector512.Create(fence.CentreLonDeg);
        dLon = Vector512.ConditionalSelect(Vector512.GreaterThan(dLon, Vector512.Create(180.0)), dLon - Vector512.Create(360.0), dLon);
        dLon = Vector512.ConditionalSelect(Vector512.LessThan(dLon, Vector512.Create(-180.0)), dLon + Vector512.Create(360.0), dLon);
        var x = dLon * Vector512.Create(fence.CosLatitude);
        var y = latDeg - Vector512.Create(fence.CentreLatDeg);
        return Vector512.LessThanOrEqual((x * x) + (y * y), Vector512.Create(fence.RadiusDegSquared));
    }
}

/// <summary>
/// Inside a <see cref="PolygonFence"/> by ray casting (even-odd): a ray from the point towards
/// growing longitude crosses the outline an odd number of times. An edge counts when the point's
/// latitude is in [min, max) of the edge's ends (<c>(a &gt; lat) != (b &gt; lat)</c>, so a vertex
/// on the ray is counted once) and the crossing is east of the point. Points exactly on the outline
/// fall on either side, but the same side in every path. NaN or infinite latitudes are never
/// inside. Vectorised across points: each lane is one point, the edges are looped in scalar.
/// </summary>
internal readonly struct InsidePolygonOp : IPositionOp<PolygonFence>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Matches(double latDeg, double lonDeg, PolygonFence fence)
    {
        bool inside = false;
        foreach (ref readonly var e in fence.Edges)
        {
            bool spans = (e.LatA > latDeg) != (e.LatB > latDeg);
            bool east = lonDeg < (e.LonPerLat * (latDeg - e.LatA)) + e.LonA;
            inside ^= spans & east;
        }

        return inside;
    }

    public static Vector128<double> Matches(Vector128<double> latDeg, Vector128<double> lonDeg, PolygonFence fence)
    {
        var inside = Vector128<double>.Zero;
        foreach (ref readonly var e in fence.Edges)
        {
            var spans = Vector128.GreaterThan(Vector128.Create(e.LatA), latDeg) ^ Vector128.GreaterThan(Vector128.Create(e.LatB), latDeg);
            var east = Vector128.LessThan(lonDeg, (Vector128.Create(e.LonPerLat) * (latDeg - Vector128.Create(e.LatA))) + Vector128.Create(e.LonA));
            inside ^= spans & east;
        }

        return inside;
    }

    public static Vector256<double> Matches(Vector256<double> latDeg, Vector256<double> lonDeg, PolygonFence fence)
    {
        var inside = Vector256<double>.Zero;
        foreach (ref readonly var e in fence.Edges)
        {
            var spans = Vector256.GreaterThan(Vector256.Create(e.LatA), latDeg) ^ Vector256.GreaterThan(Vector256.Create(e.LatB), latDeg);
            var east = Vector256.LessThan(lonDeg, (Vector256.Create(e.LonPerLat) * (latDeg - Vector256.Create(e.LatA))) + Vector256.Create(e.LonA));
            inside ^= spans & east;
        }

        return inside;
    }

    public static Vector512<double> Matches(Vector512<double> latDeg, Vector512<double> lonDeg, PolygonFence fence)
    {
        var inside = Vector512<double>.Zero;
        foreach (ref readonly var e in fence.Edges)
        {
            var spans = Vector512.GreaterThan(Vector512.Create(e.LatA), latDeg) ^ Vector512.GreaterThan(Vector512.Create(e.LatB), latDeg);
            var east = Vector512.LessThan(lonDeg, (Vector512.Create(e.LonPerLat) * (latDeg - Vector512.Create(e.LatA))) + Vector512.Create(e.LonA));
            inside ^= spans & east;
        }

        return inside;
    }
}
