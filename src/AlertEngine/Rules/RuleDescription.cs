using System.Globalization;

namespace Convoy.AlertEngine.Rules;

/// <summary>
/// A rule as a person reads it: its kind, the signal it watches, its thresholds or its area, and
/// one sentence. Each rule makes its own once, when it is built from a rule file or the options,
/// so what the read side reports (src/FleetHistory/Query/FleetRules.cs) is what the engine runs.
/// </summary>
/// <param name="Kind">One of the <see cref="RuleKinds"/>.</param>
/// <param name="Signal">The column it reads (<see cref="Signals.Column"/>); empty for a silent rule.</param>
/// <param name="Zone">The reefer zone of a temperature signal; 0 = every zone.</param>
/// <param name="Above">It fires above this, where it has such a threshold.</param>
/// <param name="Below">It fires below this, where it has such a threshold.</param>
/// <param name="Sentence">The rule in one sentence, e.g. "zone 1 above 8 degC for 5 min; resolves at or below 7.5 degC for 2 min".</param>
/// <param name="Fence">The area of a geofence rule.</param>
internal sealed record RuleDescription(string Kind, string Signal, uint Zone, double? Above, double? Below, string Sentence, FenceDescription? Fence = null);

/// <summary>A geofence's area: a circle, or the polygon when it has vertices; <paramref name="AlertInside"/> fires on entering, otherwise on leaving.</summary>
internal sealed record FenceDescription(bool AlertInside, double CentreLatitudeDeg, double CentreLongitudeDeg, double RadiusM, IReadOnlyList<GeoPoint> Polygon);

/// <summary>The kinds a <see cref="RuleDescription"/> names: one per rule class the engine runs.</summary>
internal static class RuleKinds
{
    public const string Temperature = "temperature";
    public const string Speed = "speed";
    public const string FuelTheft = "fuel-theft";
    public const string Geofence = "geofence";
    public const string Level = "level";
    public const string Rate = "rate";
    public const string Silent = "silent";

    /// <summary>A number as a rule file would write it: invariant, without trailing zeros.</summary>
    public static string Number(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);

    /// <summary>A duration in words: "30 s", "5 min", "2 h", "1 h 30 min".</summary>
    public static string Duration(TimeSpan duration)
    {
        if (duration.Ticks % TimeSpan.TicksPerMinute != 0)
        {
            return Number(duration.TotalSeconds) + " s";
        }

        long minutes = (long)duration.TotalMinutes;
        if (minutes < 60)
        {
            return minutes.ToString(CultureInfo.InvariantCulture) + " min";
        }

        string hours = (minutes / 60).ToString(CultureInfo.InvariantCulture) + " h";
        return minutes % 60 == 0 ? hours : $"{hours} {(minutes % 60).ToString(CultureInfo.InvariantCulture)} min";
    }

    /// <summary>" for 5 min", or nothing for a duration of 0 (at the first reading).</summary>
    public static string For(TimeSpan duration) => duration > TimeSpan.Zero ? " for " + Duration(duration) : "";
}
