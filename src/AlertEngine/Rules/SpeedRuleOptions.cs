using System.ComponentModel.DataAnnotations;
using Convoy.Contracts.Alerts.V1;

namespace Convoy.AlertEngine.Rules;

/// <summary>
/// "GPS ground speed above <see cref="AboveKmh"/> for <see cref="For"/>; resolved when at or below
/// <see cref="ClearAtOrBelowKmh"/> for <see cref="ClearFor"/>." Reads <c>gps.speed_kmh</c>; the
/// gap between the two speeds is the hysteresis that keeps a truck cruising at the limit from
/// flapping.
/// </summary>
public sealed class SpeedRuleOptions
{
    /// <summary>Rule id, carried in every alert it raises. 1..64 characters of [A-Za-z0-9._-]; unique across all rule kinds.</summary>
    public string Id { get; set; } = "over-speed";

    /// <summary>Fires when the speed is above this, in km/h.</summary>
    public float AboveKmh { get; set; } = 90f;

    /// <summary>...continuously for this long, in event time.</summary>
    public TimeSpan For { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Resolves when the speed is at or below this; defaults to <see cref="AboveKmh"/> - 5.</summary>
    public float? ClearAtOrBelowKmh { get; set; }

    /// <summary>...continuously for this long.</summary>
    public TimeSpan ClearFor { get; set; } = TimeSpan.FromMinutes(1);

    public Severity Severity { get; set; } = Severity.Warning;

    public float ClearThresholdKmh => ClearAtOrBelowKmh ?? AboveKmh - 5f;

    /// <summary>This rule's settings; <paramref name="key"/> is where it is configured (e.g. <c>AlertEngine:SpeedRules:0</c>).</summary>
    internal void Check(string key, List<ValidationResult> failures)
    {
        RuleOptionChecks.Id(failures, key, Id);
        if (!float.IsFinite(AboveKmh) || AboveKmh is < 0 or > 400)
        {
            failures.Add(RuleOptionChecks.Invalid($"{key}:AboveKmh", $"must be a speed in 0..400 km/h, was {AboveKmh}"));
        }

        if (!float.IsFinite(ClearThresholdKmh) || ClearThresholdKmh > AboveKmh || ClearThresholdKmh < 0)
        {
            failures.Add(RuleOptionChecks.Invalid($"{key}:ClearAtOrBelowKmh", $"must be in 0..AboveKmh ({AboveKmh}), was {ClearThresholdKmh}"));
        }

        RuleOptionChecks.Durations(failures, key, For, ClearFor);
        RuleOptionChecks.Severity(failures, key, Severity);
    }
}
