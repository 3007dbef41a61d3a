using System.Globalization;

namespace Convoy.TenantConsole.Components.Map;

/// <summary>
/// Web Mercator, fitted to what the map must show: turns latitude and longitude into the SVG's
/// pixels, and lists the raster tiles (z/x/y, as tile servers number them) that cover the view when
/// a tile server is configured. Without one the map is this projection on a plain background.
/// </summary>
public sealed class MapView
{
    private const double EarthCircumferenceM = 40_075_016.686;
    private readonly double _left;
    private readonly double _top;

    private MapView(double left, double top, double scale, double width, double height)
    {
        _left = left;
        _top = top;
        Scale = scale;
        Width = width;
        Height = height;
    }

    public double Width { get; }

    public double Height { get; }

    /// <summary>Pixels per world unit (the whole Mercator square is 1×1).</summary>
    public double Scale { get; }

    /// <summary>A view of <paramref name="width"/>×<paramref name="height"/> pixels that holds every point, with a margin; a default area when there are none.</summary>
    public static MapView Fit(IEnumerable<(double Latitude, double Longitude)> points, double width, double height)
    {
        double minX = double.MaxValue, minY = double.MaxValue, maxX = double.MinValue, maxY = double.MinValue;
        foreach (var (lat, lon) in points)
        {
            if (!double.IsFinite(lat) || !double.IsFinite(lon) || lat is < -85 or > 85 || lon is < -180 or > 180)
            {
                continue;
            }

            var (x, y) = World(lat, lon);
            minX = Math.Min(minX, x);
            maxX = Math.Max(maxX, x);
            minY = Math.Min(minY, y);
            maxY = Math.Max(maxY, y);
        }

        if (minX > maxX)
        {
            // Nothing to show yet: central Europe.
            (minX, minY) = World(53, 5);
            (maxX, maxY) = World(47, 16);
        }

        // At least about 2 km across, so a single truck is not drawn at an absurd zoom.
        double span = Math.Max(Math.Max(maxX - minX, maxY - minY), 2_000 / EarthCircumferenceM);
        double cx = (minX + maxX) / 2, cy = (minY + maxY) / 2;
        double scale = Math.Min(width, height) / (span * 1.25);
        return new MapView(cx - width / 2 / scale, cy - height / 2 / scale, scale, width, height);
    }

    /// <summary>The pixel of a position.</summary>
    public (double X, double Y) Pixel(double latitude, double longitude)
    {
        var (x, y) = World(latitude, longitude);
        return ((x - _left) * Scale, (y - _top) * Scale);
    }

    /// <summary>Pixels of <paramref name="metres"/> on the ground at <paramref name="latitude"/>.</summary>
    public double Pixels(double metres, double latitude) =>
        metres / (EarthCircumferenceM * Math.Cos(latitude * Math.PI / 180)) * Scale;

    /// <summary>The tiles covering the view at the zoom whose tiles are drawn 256..512 pixels wide, with where each goes.</summary>
    public IEnumerable<(string Url, double X, double Y, double Size)> Tiles(string template)
    {
        int zoom = Math.Clamp((int)Math.Floor(Math.Log2(Scale / 256)), 0, 19);
        int count = 1 << zoom;
        double size = Scale / count;
        int firstX = Math.Max(0, (int)Math.Floor(_left * count));
        int firstY = Math.Max(0, (int)Math.Floor(_top * count));
        int lastX = Math.Min(count - 1, (int)Math.Floor((_left + Width / Scale) * count));
        int lastY = Math.Min(count - 1, (int)Math.Floor((_top + Height / Scale) * count));
        for (int ty = firstY; ty <= lastY; ty++)
        {
            for (int tx = firstX; tx <= lastX; tx++)
            {
                string url = template.Replace("{z}", zoom.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
                    .Replace("{x}", tx.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
                    .Replace("{y}", ty.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
                yield return (url, ((double)tx / count - _left) * Scale, ((double)ty / count - _top) * Scale, size);
            }
        }
    }

    /// <summary>Graticule lines for the plain background: a round step in degrees that gives a few lines across the view.</summary>
    public (double Step, double FirstLatitude, double LastLatitude, double FirstLongitude, double LastLongitude) Graticule()
    {
        double west = _left * 360 - 180, east = (_left + Width / Scale) * 360 - 180;
        double north = Latitude(_top), south = Latitude(_top + Height / Scale);
        double[] steps = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20];
        double step = steps.FirstOrDefault(s => (east - west) / s <= 8, 30);
        return (step, Math.Floor(south / step) * step, north, Math.Floor(west / step) * step, east);
    }

    /// <summary>A number for an SVG attribute.</summary>
    public static string N(double value) => value.ToString("0.#", CultureInfo.InvariantCulture);

    private static (double X, double Y) World(double latitude, double longitude)
    {
        double sin = Math.Sin(latitude * Math.PI / 180);
        return ((longitude + 180) / 360, 0.5 - Math.Log((1 + sin) / (1 - sin)) / (4 * Math.PI));
    }

    private static double Latitude(double worldY) =>
        Math.Atan(Math.Sinh(Math.PI * (1 - 2 * worldY))) * 180 / Math.PI;
}
