namespace Convoy.AlertEngine.Kernels;

/// <summary>
/// A circular geofence for the equirectangular test in <see cref="InsideCircleOp"/>: centre in
/// degrees, radius in degrees of latitude (1° ≈ 111.2 km). The approximation is good for fences
/// of up to a few hundred kilometres away from the poles, which is what depots, ports and customer
/// sites are. <see cref="CosLatitude"/> is computed once here, in scalar, so the vector and scalar
/// paths multiply by the very same double.
/// </summary>
internal readonly struct CircleFence
{
    public CircleFence(double centreLatDeg, double centreLonDeg, double radiusDeg)
    {
        CentreLatDeg = centreLatDeg;
        CentreLonDeg = centreLonDeg;
        CosLatitude = Math.Cos(centreLatDeg * (Math.PI / 180.0));
        RadiusDegSquared = radiusDeg * radiusDeg;
    }

    public double CentreLatDeg { get; }

    public double CentreLonDeg { get; }

    public double CosLatitude { get; }

    /// <summary>Compared against, so a point exactly on the circle (as computed) is inside.</summary>
    public double RadiusDegSquared { get; }
}
