using Convoy.Contracts.Telemetry.V1;

namespace Convoy.AlertEngine.Rules;

/// <summary>The float column a threshold, range or rate-of-change rule reads from a batch.</summary>
internal enum Signal
{
    /// <summary><c>temperatures[zone].temperature_c</c>, °C.</summary>
    Temperature,

    /// <summary><c>gps.speed_kmh</c>, km/h.</summary>
    Speed,

    /// <summary><c>fuel.level_percent</c>, percent of the tank.</summary>
    FuelLevel,

    /// <summary>Scalar column <c>SCALAR_KIND_HUMIDITY_PERCENT</c>, percent.</summary>
    Humidity,

    /// <summary>Scalar column <c>SCALAR_KIND_BATTERY_VOLTAGE_V</c>, volts.</summary>
    BatteryVoltage,

    /// <summary>Scalar column <c>SCALAR_KIND_ENGINE_RPM</c>, rpm.</summary>
    EngineRpm,
}

internal static class Signals
{
    /// <summary>The names a rule file uses, in <see cref="Signal"/> order.</summary>
    public static readonly string[] Names = ["temperature", "speed", "fuelLevel", "humidity", "batteryVoltage", "engineRpm"];

    public static bool TryParse(string? name, out Signal signal)
    {
        for (int i = 0; i < Names.Length; i++)
        {
            if (string.Equals(Names[i], name, StringComparison.OrdinalIgnoreCase))
            {
                signal = (Signal)i;
                return true;
            }
        }

        signal = default;
        return false;
    }

    public static string Unit(Signal signal) => signal switch
    {
        Signal.Temperature => "degC",
        Signal.Speed => "km/h",
        Signal.FuelLevel or Signal.Humidity => "percent",
        Signal.BatteryVoltage => "V",
        _ => "rpm",
    };

    /// <summary>What an alert's sentence calls the signal, e.g. "zone 1" or "humidity".</summary>
    public static string Describe(Signal signal, uint zone) => signal switch
    {
        Signal.Temperature => $"zone {zone}",
        Signal.Speed => "speed",
        Signal.FuelLevel => "fuel level",
        Signal.Humidity => "humidity",
        Signal.BatteryVoltage => "battery",
        _ => "engine",
    };

    /// <summary>
    /// The column a signal is read from, as the read side names it: <c>reefer.temperature_c</c>,
    /// <c>gps.speed_kmh</c>, <c>fuel.level_percent</c>, or a scalar's sensor name as the fleet
    /// history's rollups take it (<c>humidity_percent</c>, <c>battery_voltage_v</c>, <c>engine_rpm</c>).
    /// </summary>
    public static string Column(Signal signal) => signal switch
    {
        Signal.Temperature => "reefer.temperature_c",
        Signal.Speed => GpsSpeed,
        Signal.FuelLevel => FuelLevel,
        Signal.Humidity => "humidity_percent",
        Signal.BatteryVoltage => "battery_voltage_v",
        _ => "engine_rpm",
    };

    public const string GpsSpeed = "gps.speed_kmh";
    public const string GpsPosition = "gps.position";
    public const string FuelLevel = "fuel.level_percent";

    /// <summary>What a rule's sentence calls the signal: "zone 1", "any reefer zone", "humidity".</summary>
    public static string Named(Signal signal, uint zone) => signal == Signal.Temperature && zone == 0 ? "any reefer zone" : Describe(signal, zone);

    /// <summary>The scalar column kind of a signal carried in <c>scalars</c>, else <see cref="ScalarKind.Unspecified"/>.</summary>
    public static ScalarKind ScalarKindOf(Signal signal) => signal switch
    {
        Signal.Humidity => ScalarKind.HumidityPercent,
        Signal.BatteryVoltage => ScalarKind.BatteryVoltageV,
        Signal.EngineRpm => ScalarKind.EngineRpm,
        _ => ScalarKind.Unspecified,
    };
}
