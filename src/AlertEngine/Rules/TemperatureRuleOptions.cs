using System.ComponentModel.DataAnnotations;
using Convoy.Contracts.Alerts.V1;

namespace Convoy.AlertEngine.Rules;

/// <summary>
/// "A reefer zone above <see cref="AboveC"/> for <see cref="For"/>; resolved when below
/// <see cref="ClearBelowC"/> for <see cref="ClearFor"/>." The gap between the two thresholds is the
/// hysteresis that keeps a probe hovering at the limit from flapping.
/// </summary>
public sealed class TemperatureRuleOptions
{
    /// <summary>Rule id, carried in every alert it raises. 1..64 characters of [A-Za-z0-9._-].</summary>
    public string Id { get; set; } = "reefer-too-warm";

    /// <summary>Reefer zone 1..8, or 0 for every zone (each zone is watched on its own).</summary>
    public uint Zone { get; set; }

    /// <summary>Fires when the temperature is above this, in degrees Celsius.</summary>
    public float AboveC { get; set; } = 8f;

    /// <summary>...continuously for this long, in event time (the readings' own timestamps).</summary>
    public TimeSpan For { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Resolves when the temperature is at or below this; defaults to <see cref="AboveC"/> - 0.5.</summary>
    public float? ClearBelowC { get; set; }

    /// <summary>...continuously for this long.</summary>
    public TimeSpan ClearFor { get; set; } = TimeSpan.FromMinutes(2);

    public Severity Severity { get; set; } = Severity.Critical;

    public float ClearThresholdC => ClearBelowC ?? AboveC - 0.5f;

    /// <summary>This rule's settings; <paramref name="key"/> is where it is configured (e.g. <c>AlertEngine:SpeedRules:0</c>).</summary>
    internal void Check(string key, List<ValidationResult> failures)
    {
        if (string.IsNullOrEmpty(Id) || Id.Length > 64 || !Id.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
        {
            failures.Add(Invalid($"{key}:Id", $"must be 1..64 characters of [A-Za-z0-9._-], was '{Id}'"));
        }

        if (Zone > 8)
        {
            failures.Add(Invalid($"{key}:Zone", $"must be 0 (every zone) or 1..8, was {Zone}"));
        }

        if (!float.IsFinite(AboveC) || AboveC is < -100 or > 100)
        {
            failures.Add(Invalid($"{key}:AboveC", $"must be a temperature in -100..100 degC, was {AboveC}"));
        }

        if (!float.IsFinite(ClearThresholdC) || ClearThresholdC > AboveC)
        {
            failures.Add(Invalid($"{key}:ClearBelowC", $"must be at or below AboveC ({AboveC}), was {ClearThresholdC}"));
        }

        if (For < TimeSpan.Zero || ClearFor < TimeSpan.Zero)
        {
            failures.Add(Invalid($"{key}:For", "and ClearFor must not be negative"));
        }

        if (Severity == Severity.Unspecified)
        {
            failures.Add(Invalid($"{key}:Severity", "must be Info, Warning or Critical"));
        }
    }

    private static ValidationResult Invalid(string key, string reason) => RuleOptionChecks.Invalid(key, reason);
}
