using System.ComponentModel.DataAnnotations;
using Convoy.Contracts.Alerts.V1;

namespace Convoy.AlertEngine.Rules;

/// <summary>When a geofence rule's alert fires.</summary>
public enum GeofenceAlertWhen
{
    /// <summary>"Inside" rule (a no-go zone, or "arrived at the depot"): fires on entering, resolves on leaving.</summary>
    Inside,

    /// <summary>"Must stay inside" rule (a permitted area, a route corridor): fires on leaving, resolves on coming back.</summary>
    Outside,
}

/// <summary>A polygon vertex, in WGS 84 degrees.</summary>
public sealed class GeoPoint
{
    public double LatitudeDeg { get; set; }

    public double LongitudeDeg { get; set; }
}

/// <summary>
/// A geofence on the GPS fixes: a circle (<see cref="CentreLatitudeDeg"/>, <see cref="CentreLongitudeDeg"/>,
/// <see cref="RadiusM"/>) or, when <see cref="Polygon"/> has vertices, that polygon. Depending on
/// <see cref="AlertWhen"/> the alert fires on entering (and resolves on leaving) or fires on leaving
/// (and resolves on coming back), each once the new side has held for <see cref="For"/> /
/// <see cref="ClearFor"/> (0 = at the first fix on the new side; a few seconds rides out GPS jitter
/// on the boundary).
/// </summary>
public sealed class GeofenceRuleOptions
{
    /// <summary>Rule id, carried in every alert it raises. 1..64 characters of [A-Za-z0-9._-]; unique across all rule kinds.</summary>
    public string Id { get; set; } = "geofence";

    public GeofenceAlertWhen AlertWhen { get; set; } = GeofenceAlertWhen.Inside;

    public double CentreLatitudeDeg { get; set; }

    public double CentreLongitudeDeg { get; set; }

    /// <summary>Circle radius in metres, up to 500 km (the circle test is equirectangular: good to a few hundred km away from the poles).</summary>
    public double RadiusM { get; set; }

    /// <summary>Polygon vertices in order (either winding, closing edge implied); must not straddle the antimeridian. Empty = a circle.</summary>
    public List<GeoPoint> Polygon { get; } = [];

    /// <summary>The fix must be on the alerting side continuously for this long before the alert fires.</summary>
    public TimeSpan For { get; set; } = TimeSpan.Zero;

    /// <summary>...and back on the other side this long before it resolves.</summary>
    public TimeSpan ClearFor { get; set; } = TimeSpan.Zero;

    public Severity Severity { get; set; } = Severity.Warning;

    public bool IsPolygon => Polygon.Count > 0;

    /// <summary>Metres per degree of latitude on the mean Earth radius (6,371 km); the unit of <see cref="Kernels.CircleFence"/>'s radius.</summary>
    internal const double MetresPerDegree = 6_371_000.0 * Math.PI / 180.0;

    /// <summary>This rule's settings; <paramref name="key"/> is where it is configured (e.g. <c>AlertEngine:SpeedRules:0</c>).</summary>
    internal void Check(string key, List<ValidationResult> failures)
    {
        RuleOptionChecks.Id(failures, key, Id);
        if (!Enum.IsDefined(AlertWhen))
        {
            failures.Add(RuleOptionChecks.Invalid($"{key}:AlertWhen", $"must be Inside or Outside, was {AlertWhen}"));
        }

        if (IsPolygon)
        {
            if (Polygon.Count < 3)
            {
                failures.Add(RuleOptionChecks.Invalid($"{key}:Polygon", $"needs at least 3 vertices, has {Polygon.Count}"));
            }

            for (int i = 0; i < Polygon.Count; i++)
            {
                CheckPosition(failures, $"{key}:Polygon:{i}", Polygon[i].LatitudeDeg, Polygon[i].LongitudeDeg);
            }
        }
        else
        {
            CheckPosition(failures, key, CentreLatitudeDeg, CentreLongitudeDeg, "CentreLatitudeDeg", "CentreLongitudeDeg");
            if (!double.IsFinite(RadiusM) || RadiusM is <= 0 or > 500_000)
            {
                failures.Add(RuleOptionChecks.Invalid($"{key}:RadiusM", $"must be 0 < RadiusM <= 500000 metres (or give a Polygon), was {RadiusM}"));
            }
        }

        RuleOptionChecks.Durations(failures, key, For, ClearFor);
        RuleOptionChecks.Severity(failures, key, Severity);
    }

    private static void CheckPosition(List<ValidationResult> failures, string key, double lat, double lon, string latName = "LatitudeDeg", string lonName = "LongitudeDeg")
    {
        if (!double.IsFinite(lat) || lat is < -90 or > 90)
        {
            failures.Add(RuleOptionChecks.Invalid($"{key}:{latName}", $"must be a latitude in -90..90, was {lat}"));
        }

        if (!double.IsFinite(lon) || lon is < -180 or > 180)
        {
            failures.Add(RuleOptionChecks.Invalid($"{key}:{lonName}", $"must be a longitude in -180..180, was {lon}"));
        }
    }
}
