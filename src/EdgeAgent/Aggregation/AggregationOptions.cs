using System.ComponentModel.DataAnnotations;
using Convoy.OptionsValidation;
using Microsoft.Extensions.Options;

namespace Convoy.EdgeAgent.Aggregation;

/// <summary>How a sensor's readings are reduced on the truck before they are buffered and sent.</summary>
public enum AggregationMode
{
    /// <summary>Every reading is sent.</summary>
    Raw,

    /// <summary>
    /// Per window of <see cref="SensorAggregationOptions.Window"/>: the window's minimum, maximum and
    /// last reading, each at its own timestamp (at most three readings a window).
    /// </summary>
    Window,

    /// <summary>A reading is sent when it moved more than <see cref="SensorAggregationOptions.DeadBand"/> from the last one sent, or <see cref="SensorAggregationOptions.MaxInterval"/> passed.</summary>
    DeadBand,
}

/// <summary>
/// How one kind of scalar sensor (a reefer zone's temperature, the fuel level, any other scalar)
/// is reduced, and the band outside which it is an excursion: around an excursion every raw
/// reading from <see cref="KeepBefore"/> before it to <see cref="KeepAfter"/> after it is sent, so
/// the alert engine sees the real shape.
/// </summary>
public sealed class SensorAggregationOptions
{
    public AggregationMode Mode { get; set; } = AggregationMode.Raw;

    /// <summary>Window length (<see cref="AggregationMode.Window"/>); windows are aligned to the Unix epoch.</summary>
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Change from the last sent value that forces a send (<see cref="AggregationMode.DeadBand"/>), in the sensor's unit.</summary>
    public double DeadBand { get; set; } = 0.5;

    /// <summary>Longest time without a sent reading (<see cref="AggregationMode.DeadBand"/>): a heartbeat.</summary>
    public TimeSpan MaxInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>A reading below this is an excursion; unset = no lower bound.</summary>
    public double? ExcursionBelow { get; set; }

    /// <summary>A reading above this is an excursion; unset = no upper bound.</summary>
    public double? ExcursionAbove { get; set; }

    /// <summary>Raw readings kept before an excursion (they are held back this long: the output lags by it).</summary>
    public TimeSpan KeepBefore { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Raw readings kept after the last reading outside the band.</summary>
    public TimeSpan KeepAfter { get; set; } = TimeSpan.FromMinutes(5);

    internal bool HasBand => ExcursionBelow.HasValue || ExcursionAbove.HasValue;

    /// <summary>This kind's rules; <paramref name="key"/> is where it is configured (one class serves several keys).</summary>
    internal IEnumerable<ValidationResult> Check(string key)
    {
        if (!Enum.IsDefined(Mode))
        {
            yield return AggregationOptions.Invalid($"{key}:Mode", $"must be Raw, Window or DeadBand, was {Mode}");
        }

        if (Window < TimeSpan.FromSeconds(1) || Window > TimeSpan.FromHours(1))
        {
            yield return AggregationOptions.Invalid($"{key}:Window", $"must be 00:00:01..01:00:00, was {Window}");
        }

        if (!double.IsFinite(DeadBand) || DeadBand < 0)
        {
            yield return AggregationOptions.Invalid($"{key}:DeadBand", $"must be a finite number >= 0, was {DeadBand}");
        }

        if (MaxInterval < TimeSpan.FromSeconds(1) || MaxInterval > TimeSpan.FromHours(24))
        {
            yield return AggregationOptions.Invalid($"{key}:MaxInterval", $"must be 00:00:01..1.00:00:00, was {MaxInterval}");
        }

        if (ExcursionBelow is { } below && !double.IsFinite(below))
        {
            yield return AggregationOptions.Invalid($"{key}:ExcursionBelow", "must be finite");
        }

        if (ExcursionAbove is { } above && (!double.IsFinite(above) || above < (ExcursionBelow ?? double.MinValue)))
        {
            yield return AggregationOptions.Invalid($"{key}:ExcursionAbove", $"must be finite and not below ExcursionBelow ({ExcursionBelow}), was {above}");
        }

        if (KeepBefore < TimeSpan.Zero || KeepBefore > TimeSpan.FromHours(1))
        {
            yield return AggregationOptions.Invalid($"{key}:KeepBefore", $"must be 0..01:00:00, was {KeepBefore}");
        }

        if (KeepAfter < TimeSpan.Zero || KeepAfter > TimeSpan.FromHours(24))
        {
            yield return AggregationOptions.Invalid($"{key}:KeepAfter", $"must be 0..1.00:00:00, was {KeepAfter}");
        }
    }
}

/// <summary>
/// GPS reduction, as telematics units do it: a fix is sent when the truck moved more than
/// <see cref="MinDistanceM"/>, turned more than <see cref="MinTurnDeg"/>, or <see cref="MaxInterval"/>
/// passed; the first and last fix of every stop (speed below <see cref="StopSpeedKmh"/>) and the
/// last fix before a gap (lost fix) are always sent, and so is every fix above <see cref="SpeedingAboveKmh"/>.
/// </summary>
public sealed class GpsAggregationOptions : IValidatableObject
{
    /// <summary><see cref="AggregationMode.Raw"/> sends every fix; any other mode applies the distance/turn/time rule.</summary>
    public AggregationMode Mode { get; set; } = AggregationMode.Raw;

    [SettingRange("EdgeAgent:Aggregation:Gps:MinDistanceM", 0, 100_000, Reason = "must be 0..100000 metres")]
    public double MinDistanceM { get; set; } = 100;

    [SettingRange("EdgeAgent:Aggregation:Gps:MinTurnDeg", 0, 180, Reason = "must be 0..180 degrees")]
    public double MinTurnDeg { get; set; } = 15;

    [SettingRange("EdgeAgent:Aggregation:Gps:MaxInterval", "00:00:01", "1.00:00:00")]
    public TimeSpan MaxInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Below this speed the truck stands still.</summary>
    [SettingRange("EdgeAgent:Aggregation:Gps:StopSpeedKmh", 0, 50, Reason = "must be 0..50 km/h")]
    public double StopSpeedKmh { get; set; } = 3;

    /// <summary>Fixes faster than this are an excursion (speeding): all sent raw. Unset = none.</summary>
    public double? SpeedingAboveKmh { get; set; }

    /// <summary>The rules that are not attributes: the mode, and the optional speeding threshold.</summary>
    IEnumerable<ValidationResult> IValidatableObject.Validate(ValidationContext validationContext)
    {
        const string Key = "EdgeAgent:Aggregation:Gps";
        if (!Enum.IsDefined(Mode))
        {
            yield return AggregationOptions.Invalid($"{Key}:Mode", $"must be Raw or DeadBand (distance/turn/time rule), was {Mode}");
        }

        if (SpeedingAboveKmh is { } speeding && (!double.IsFinite(speeding) || speeding is <= 0 or > 400))
        {
            yield return AggregationOptions.Invalid($"{Key}:SpeedingAboveKmh", $"must be 0..400 km/h, was {speeding}");
        }
    }
}

/// <summary>
/// Configuration section <c>EdgeAgent:Aggregation</c>: edge pre-aggregation per sensor kind. The
/// default is <see cref="AggregationMode.Raw"/> everywhere with no excursion bands, which sends
/// every reading as it was taken.
/// </summary>
public sealed class AggregationOptions : IValidatableObject
{
    [ValidateObjectMembers]
    public GpsAggregationOptions Gps { get; } = new();

    /// <summary>Every reefer zone's temperature (°C), unless <see cref="TemperatureZones"/> names the zone.</summary>
    public SensorAggregationOptions Temperature { get; } = new();

    /// <summary>Per-zone settings that replace <see cref="Temperature"/>, keyed by zone number (1..8).</summary>
    public Dictionary<string, SensorAggregationOptions> TemperatureZones { get; } = [];

    /// <summary>Fuel level (percent).</summary>
    public SensorAggregationOptions Fuel { get; } = new();

    /// <summary>Every other scalar sensor (in its kind's unit).</summary>
    public SensorAggregationOptions Scalars { get; } = new();

    /// <summary>
    /// How long reduced readings may wait to share a batch with later ones (0 = a batch per input
    /// batch). Reduced batches are small, so each carries a larger share of fixed costs (ids, time,
    /// column headers, gzip and gRPC framing, the buffer's record header); a batch holding an
    /// excursion reading is never held back. Does not apply when nothing is reduced.
    /// </summary>
    [SettingRange("EdgeAgent:Aggregation:CoalesceFor", "00:00:00", "01:00:00", Reason = "must be 0..01:00:00")]
    public TimeSpan CoalesceFor { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Whether anything is reduced or watched at all (otherwise batches pass through untouched).</summary>
    internal bool PassThrough =>
        Gps.Mode == AggregationMode.Raw && Gps.SpeedingAboveKmh is null
        && IsPassThrough(Temperature) && IsPassThrough(Fuel) && IsPassThrough(Scalars)
        && AllPassThrough(TemperatureZones);

    /// <summary>Each sensor kind's rules under its own key (the GPS ones are its attributes).</summary>
    IEnumerable<ValidationResult> IValidatableObject.Validate(ValidationContext validationContext)
    {
        var failures = Temperature.Check("EdgeAgent:Aggregation:Temperature")
            .Concat(Fuel.Check("EdgeAgent:Aggregation:Fuel"))
            .Concat(Scalars.Check("EdgeAgent:Aggregation:Scalars"));
        foreach (var failure in failures)
        {
            yield return failure;
        }

        foreach (var (zone, options) in TemperatureZones)
        {
            if (!int.TryParse(zone, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int number) || number is < 1 or > 8)
            {
                yield return Invalid($"EdgeAgent:Aggregation:TemperatureZones:{zone}", "must be keyed by a reefer zone number 1..8");
                continue;
            }

            foreach (var failure in options.Check($"EdgeAgent:Aggregation:TemperatureZones:{zone}"))
            {
                yield return failure;
            }
        }
    }

    /// <summary>The settings of reefer zone <paramref name="zone"/>.</summary>
    internal SensorAggregationOptions ForZone(uint zone)
    {
        foreach (var (key, options) in TemperatureZones)
        {
            if (uint.TryParse(key, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out uint number) && number == zone)
            {
                return options;
            }
        }

        return Temperature;
    }

    internal static ValidationResult Invalid(string key, string reason) => new($"Configuration '{key}' {reason}.");

    private static bool IsPassThrough(SensorAggregationOptions options) => options.Mode == AggregationMode.Raw && !options.HasBand;

    private static bool AllPassThrough(Dictionary<string, SensorAggregationOptions> zones)
    {
        foreach (var options in zones.Values)
        {
            if (!IsPassThrough(options))
            {
                return false;
            }
        }

        return true;
    }
}

/// <summary>Checks <see cref="AggregationOptions"/> on its own (a report's recommended settings), generated as the agent's are.</summary>
[OptionsValidator]
internal sealed partial class AggregationOptionsValidator : IValidateOptions<AggregationOptions>;
