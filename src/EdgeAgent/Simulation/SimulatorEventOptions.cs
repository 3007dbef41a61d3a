using System.ComponentModel.DataAnnotations;
using Convoy.OptionsValidation;

namespace Convoy.EdgeAgent.Simulation;

/// <summary>A named depot: a circle the trucks start from, drive between and refuel at.</summary>
public sealed class DepotOptions
{
    public string Name { get; set; } = string.Empty;

    public double Latitude { get; set; }

    public double Longitude { get; set; }

    public double RadiusM { get; set; } = 300;
}

/// <summary>
/// Configuration section <c>EdgeAgent:Simulator:Events</c>: the believable things that happen to
/// simulated trucks, each logged when it starts (event names <c>Simulated*</c>) so alerts can be
/// related to their causes. Rates are per hour of the state they happen in (door openings and
/// fuel thefts while parked at a customer, speeding while driving, GPS loss at any time); 0 turns
/// an event off. All are off by default, so the plain simulator stays predictable.
/// </summary>
public sealed class SimulatorEventOptions : IValidatableObject
{
    /// <summary>Reefer door openings per hour parked at a customer; the chilled zone warms while it is open and recovers after.</summary>
    [SettingRange("EdgeAgent:Simulator:Events:DoorOpeningsPerHour", 0, 60, Reason = "must be 0..60 per hour")]
    public double DoorOpeningsPerHour { get; set; }

    /// <summary>Typical time a door stays open (each opening lasts 0.5..1.5 times this).</summary>
    [SettingRange("EdgeAgent:Simulator:Events:DoorOpenFor", "00:00:01", "02:00:00")]
    public TimeSpan DoorOpenFor { get; set; } = TimeSpan.FromMinutes(3);

    /// <summary>Fuel thefts per hour parked at a customer (never at a depot): the level drops by 15..25 % at once.</summary>
    [SettingRange("EdgeAgent:Simulator:Events:FuelTheftsPerHour", 0, 60, Reason = "must be 0..60 per hour")]
    public double FuelTheftsPerHour { get; set; }

    /// <summary>Speeding spells per hour of motorway driving (100..115 km/h instead of about 85).</summary>
    [SettingRange("EdgeAgent:Simulator:Events:SpeedingPerHour", 0, 60, Reason = "must be 0..60 per hour")]
    public double SpeedingPerHour { get; set; }

    /// <summary>Typical length of a speeding spell (0.5..1.5 times this).</summary>
    [SettingRange("EdgeAgent:Simulator:Events:SpeedingFor", "00:00:01", "02:00:00")]
    public TimeSpan SpeedingFor { get; set; } = TimeSpan.FromMinutes(3);

    /// <summary>Losses of the GPS fix (a tunnel, a parking garage) per hour: no GPS readings for a while.</summary>
    [SettingRange("EdgeAgent:Simulator:Events:GpsLossesPerHour", 0, 60, Reason = "must be 0..60 per hour")]
    public double GpsLossesPerHour { get; set; }

    /// <summary>Typical length of a GPS loss (0.5..1.5 times this).</summary>
    [SettingRange("EdgeAgent:Simulator:Events:GpsLossFor", "00:00:01", "02:00:00")]
    public TimeSpan GpsLossFor { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Named depots (circles). Every truck starts at the first and calls at the others on its loop;
    /// a truck below <see cref="RefuelBelowPercent"/> refuels at a depot. Empty: a depot <c>home</c>
    /// at EdgeAgent:Simulator:DepotLatitude/DepotLongitude and a <c>hub</c> 25 km north-east of it.
    /// </summary>
    public List<DepotOptions> Depots { get; } = [];

    /// <summary>Fuel level below which a truck refuels when it stops at a depot (at a customer stop below a quarter of this).</summary>
    [SettingRange("EdgeAgent:Simulator:Events:RefuelBelowPercent", 0, 95)]
    public double RefuelBelowPercent { get; set; } = 60;

    /// <summary>The depots' rules (the rates and durations are attributes).</summary>
    IEnumerable<ValidationResult> IValidatableObject.Validate(ValidationContext validationContext)
    {
        for (int i = 0; i < Depots.Count; i++)
        {
            var depot = Depots[i];
            if (string.IsNullOrWhiteSpace(depot.Name) || depot.Latitude is < -80 or > 80 || depot.Longitude is < -179 or > 179
                || !double.IsFinite(depot.RadiusM) || depot.RadiusM is < 10 or > 10_000)
            {
                yield return new ValidationResult($"Configuration 'EdgeAgent:Simulator:Events:Depots:{i}' must have a Name, Latitude in [-80, 80], Longitude in [-179, 179] and RadiusM 10..10000.");
            }
        }
    }
}
