using Convoy.Contracts.Fleet.V1;

namespace Convoy.FleetHistory.Query;

/// <summary>
/// Thins a track for a map zoom level with Douglas-Peucker: a point nearer than one pixel to the
/// line through its neighbours that are kept is left out. The first and last point always stay.
/// </summary>
internal static class TrackSimplifier
{
    private const double EarthRadiusM = 6_371_008.8;

    /// <summary>Metres per pixel of a 256-pixel-tile web map at the equator, zoom 0.</summary>
    private const double MetresPerPixelAtZoom0 = 156_543.03;

    public static double ToleranceMetres(int zoom, double latitudeDeg) =>
        MetresPerPixelAtZoom0 * Math.Cos(latitudeDeg * Math.PI / 180) / Math.Pow(2, zoom);

    public static List<TrackPoint> Simplify(IReadOnlyList<TrackPoint> points, int zoom)
    {
        if (zoom <= 0 || points.Count < 3)
        {
            return [.. points];
        }

        // Project to metres around the first point (equirectangular: exact enough within a track page).
        double lat0 = points[0].LatitudeDeg * Math.PI / 180;
        double cos0 = Math.Cos(lat0);
        var x = new double[points.Count];
        var y = new double[points.Count];
        for (int i = 0; i < points.Count; i++)
        {
            x[i] = (points[i].LongitudeDeg - points[0].LongitudeDeg) * Math.PI / 180 * EarthRadiusM * cos0;
            y[i] = (points[i].LatitudeDeg - points[0].LatitudeDeg) * Math.PI / 180 * EarthRadiusM;
        }

        double tolerance = ToleranceMetres(zoom, points[0].LatitudeDeg);
        var keep = new bool[points.Count];
        keep[0] = keep[^1] = true;
        var spans = new Stack<(int From, int To)>();
        spans.Push((0, points.Count - 1));
        while (spans.Count > 0)
        {
            var (from, to) = spans.Pop();
            int farthest = -1;
            double farthestDistance = tolerance;
            for (int i = from + 1; i < to; i++)
            {
                double distance = DistanceToSegment(x[i], y[i], x[from], y[from], x[to], y[to]);
                if (distance > farthestDistance)
                {
                    farthest = i;
                    farthestDistance = distance;
                }
            }

            if (farthest > 0)
            {
                keep[farthest] = true;
                spans.Push((from, farthest));
                spans.Push((farthest, to));
            }
        }

        var kept = new List<TrackPoint>();
        for (int i = 0; i < points.Count; i++)
        {
            if (keep[i])
            {
                kept.Add(points[i]);
            }
        }

        return kept;
    }

    private static double DistanceToSegment(double px, double py, double ax, double ay, double bx, double by)
    {
        double dx = bx - ax, dy = by - ay;
        double length2 = (dx * dx) + (dy * dy);
        double t = length2 == 0 ? 0 : Math.Clamp((((px - ax) * dx) + ((py - ay) * dy)) / length2, 0, 1);
        double cx = ax + (t * dx) - px, cy = ay + (t * dy) - py;
        return Math.Sqrt((cx * cx) + (cy * cy));
    }
}
