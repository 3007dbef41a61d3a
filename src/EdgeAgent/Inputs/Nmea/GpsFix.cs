namespace Convoy.EdgeAgent.Inputs.Nmea;

/// <summary>
/// One GPS epoch, assembled from the NMEA sentences a receiver sent for it (RMC, GGA, VTG, ZDA).
/// When <see cref="Valid"/> is false the receiver said it has no fix: <see cref="Latitude"/> and
/// <see cref="Longitude"/> are NaN so that such an epoch can never be mistaken for a position.
/// </summary>
/// <param name="UnixTimeMs">UTC time of the epoch in milliseconds since the Unix epoch (the receiver's clock).</param>
/// <param name="Valid">The receiver reported a usable position (RMC status A, GGA quality 1..6, not simulated).</param>
/// <param name="Latitude">WGS 84 degrees, north positive; NaN when not <see cref="Valid"/>.</param>
/// <param name="Longitude">WGS 84 degrees, east positive; NaN when not <see cref="Valid"/>.</param>
/// <param name="SpeedKmh">Speed over ground (VTG km/h, else RMC knots converted); null when the receiver sent none.</param>
/// <param name="HeadingDeg">Course over ground, degrees from true north in [0, 360); null when the receiver sent none.</param>
/// <param name="Quality">GGA fix quality; <see cref="GpsFixQuality.Unknown"/> when the epoch had no GGA.</param>
/// <param name="Satellites">Satellites used (GGA).</param>
/// <param name="Hdop">Horizontal dilution of precision (GGA).</param>
/// <param name="AltitudeM">Altitude above mean sea level in metres (GGA).</param>
internal readonly record struct GpsFix(
    long UnixTimeMs,
    bool Valid,
    double Latitude,
    double Longitude,
    double? SpeedKmh,
    double? HeadingDeg,
    GpsFixQuality Quality,
    int? Satellites,
    double? Hdop,
    double? AltitudeM);

/// <summary>GGA field 6, the kind of fix. Values are the NMEA 0183 codes.</summary>
internal enum GpsFixQuality
{
    /// <summary>Not a code NMEA sends: the epoch carried no GGA.</summary>
    Unknown = -1,
    Invalid = 0,
    Gps = 1,
    Differential = 2,
    Pps = 3,
    RtkFixed = 4,
    RtkFloat = 5,
    Estimated = 6,
    Manual = 7,
    Simulated = 8,

    /// <summary>A WAAS/SBAS-corrected fix, as NovAtel receivers report it.</summary>
    Waas = 9,
}
