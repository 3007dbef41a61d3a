using System.ComponentModel.DataAnnotations;
using Convoy.Contracts.Alerts.V1;

namespace Convoy.AlertEngine.Rules;

/// <summary>
/// "The fuel level drops more than <see cref="DropPercent"/> percent (of the tank) within
/// <see cref="Within"/> while the truck stands still." Reads <c>fuel.level_percent</c> and, for
/// standing still, <c>gps.speed_kmh</c> (the last fix at or before each fuel reading; no fix known
/// = not known to stand still, so no alert). The alert resolves when the truck moves again: one
/// alert per stop, whatever else drains while it stands.
/// </summary>
public sealed class FuelTheftRuleOptions
{
    /// <summary>Rule id, carried in every alert it raises. 1..64 characters of [A-Za-z0-9._-]; unique across all rule kinds.</summary>
    public string Id { get; set; } = "fuel-theft";

    /// <summary>Fires when the level falls by more than this many percentage points...</summary>
    public float DropPercent { get; set; } = 5f;

    /// <summary>...within this long, in event time, while standing still.</summary>
    public TimeSpan Within { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Standing still means a GPS speed below this (km/h). Not exactly 0: a receiver at rest
    /// reports a few tenths of a km/h of jitter.
    /// </summary>
    public float StationaryBelowKmh { get; set; } = 1f;

    public Severity Severity { get; set; } = Severity.Critical;

    /// <summary>This rule's settings; <paramref name="key"/> is where it is configured (e.g. <c>AlertEngine:SpeedRules:0</c>).</summary>
    internal void Check(string key, List<ValidationResult> failures)
    {
        RuleOptionChecks.Id(failures, key, Id);
        if (!float.IsFinite(DropPercent) || DropPercent is <= 0 or >= 100)
        {
            failures.Add(RuleOptionChecks.Invalid($"{key}:DropPercent", $"must be a percentage 0 < P < 100, was {DropPercent}"));
        }

        if (Within <= TimeSpan.Zero)
        {
            failures.Add(RuleOptionChecks.Invalid($"{key}:Within", $"must be a positive duration, was {Within}"));
        }

        if (!float.IsFinite(StationaryBelowKmh) || StationaryBelowKmh is <= 0 or > 20)
        {
            failures.Add(RuleOptionChecks.Invalid($"{key}:StationaryBelowKmh", $"must be a speed 0 < v <= 20 km/h, was {StationaryBelowKmh}"));
        }

        RuleOptionChecks.Severity(failures, key, Severity);
    }
}
