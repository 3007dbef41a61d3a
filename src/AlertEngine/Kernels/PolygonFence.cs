namespace Convoy.AlertEngine.Kernels;

/// <summary>
/// A polygon geofence for the ray-casting test in <see cref="InsidePolygonOp"/>, prepared once
/// per rule (not per batch): each edge keeps what the test needs so the per-point work is two
/// comparisons, one subtraction, one multiplication, one addition and one comparison. Vertices
/// are in order (either winding), the closing edge is implied, self-intersecting outlines follow
/// the even-odd rule. Longitude is taken as a plain x coordinate, so a polygon must not straddle
/// the antimeridian (split it in two there).
/// </summary>
internal sealed class PolygonFence
{
    public PolygonFence(ReadOnlySpan<double> latitudesDeg, ReadOnlySpan<double> longitudesDeg)
    {
        if (latitudesDeg.Length != longitudesDeg.Length)
        {
            throw new ArgumentException($"The polygon has {latitudesDeg.Length} latitudes and {longitudesDeg.Length} longitudes.", nameof(longitudesDeg));
        }

        if (latitudesDeg.Length < 3)
        {
            throw new ArgumentException($"A polygon needs at least 3 vertices; got {latitudesDeg.Length}.", nameof(latitudesDeg));
        }

        var edges = new PolygonEdge[latitudesDeg.Length];
        for (int i = 0, j = latitudesDeg.Length - 1; i < latitudesDeg.Length; j = i++)
        {
            // Edge from vertex i to vertex j. A horizontal edge gets an infinite or NaN slope; it
            // is never used, because no point is strictly between two equal latitudes.
            edges[i] = new PolygonEdge(
                latitudesDeg[i],
                latitudesDeg[j],
                longitudesDeg[i],
                (longitudesDeg[j] - longitudesDeg[i]) / (latitudesDeg[j] - latitudesDeg[i]));
        }

        _edges = edges;
    }

    private readonly PolygonEdge[] _edges;

    public ReadOnlySpan<PolygonEdge> Edges => _edges;
}

/// <summary>
/// One edge of a <see cref="PolygonFence"/>: latitudes of both ends, the longitude of the first,
/// and d(longitude)/d(latitude) along it.
/// </summary>
internal readonly record struct PolygonEdge(double LatA, double LatB, double LonA, double LonPerLat);
