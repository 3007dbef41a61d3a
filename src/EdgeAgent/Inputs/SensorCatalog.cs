using Convoy.Contracts.Telemetry.V1;

namespace Convoy.EdgeAgent.Inputs;

/// <summary>
/// The truck's named sensors and the batch columns their readings go to. Built once from
/// configuration (sensor name → kind, see <see cref="KindNames"/>); several names may share one
/// column (two probes reporting the same zone). Looking a name up allocates nothing.
/// </summary>
internal sealed class SensorCatalog
{
    /// <summary>Column index <see cref="TryFind"/> returns for a sensor configured as <c>Ignore</c>.</summary>
    public const int Ignored = -2;

    /// <summary>Longest sensor name, in characters (also the contract's limit for a custom scalar's name).</summary>
    public const int MaxNameLength = 64;

    /// <summary>The kinds a sensor name can map to, as written in configuration.</summary>
    public static readonly string[] KindNames =
    [
        "ReeferZone1", "ReeferZone2", "ReeferZone3", "ReeferZone4", "ReeferZone5", "ReeferZone6", "ReeferZone7", "ReeferZone8",
        "FuelLevel", "EngineRpm", "BatteryVoltage", "ReeferDoorOpen", "HumidityPercent", "OdometerKm", "Custom", "Ignore",
    ];

    /// <summary>The names a reefer controller or CAN bridge publishes under out of the box.</summary>
    public static readonly IReadOnlyList<KeyValuePair<string, string>> DefaultSensors =
    [
        new("reefer.zone1.temperature", "ReeferZone1"),
        new("reefer.zone2.temperature", "ReeferZone2"),
        new("reefer.zone3.temperature", "ReeferZone3"),
        new("reefer.zone4.temperature", "ReeferZone4"),
        new("reefer.zone5.temperature", "ReeferZone5"),
        new("reefer.zone6.temperature", "ReeferZone6"),
        new("reefer.zone7.temperature", "ReeferZone7"),
        new("reefer.zone8.temperature", "ReeferZone8"),
        new("reefer.door", "ReeferDoorOpen"),
        new("fuel.level", "FuelLevel"),
        new("engine.rpm", "EngineRpm"),
        new("battery.voltage", "BatteryVoltage"),
        new("cargo.humidity", "HumidityPercent"),
        new("odometer", "OdometerKm"),
    ];

    private readonly Dictionary<string, int> _byName;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _bySpan;

    private SensorCatalog(List<SensorColumn> columns, Dictionary<string, int> byName, float fuelTankCapacityL)
    {
        Columns = columns;
        _byName = byName;
        _bySpan = byName.GetAlternateLookup<ReadOnlySpan<char>>();
        FuelTankCapacityL = fuelTankCapacityL;
    }

    public IReadOnlyList<SensorColumn> Columns { get; }

    /// <summary>Tank capacity written into every fuel column (0: unknown).</summary>
    public float FuelTankCapacityL { get; }

    public int NameCount => _byName.Count;

    /// <summary>
    /// Builds the catalog from sensor name → kind pairs. Returns null and the problem when a name
    /// or kind is not acceptable; <paramref name="badKey"/> is the offending name.
    /// </summary>
    public static SensorCatalog? TryCreate(IEnumerable<KeyValuePair<string, string>> sensors, float fuelTankCapacityL, out string? badKey, out string? problem)
    {
        var columns = new List<SensorColumn>();
        var byName = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (name, kind) in sensors)
        {
            badKey = name;
            if (name.Length is 0 or > MaxNameLength)
            {
                problem = $"is not a usable sensor name: 1..{MaxNameLength} characters";
                return null;
            }

            if (!TryDescribe(name, kind, out var column))
            {
                problem = $"must be one of {string.Join(", ", KindNames)}, was '{kind}'";
                return null;
            }

            if (column is null)
            {
                byName[name] = Ignored;
                continue;
            }

            int index = columns.IndexOf(column); // records compare by value: equal targets share a column
            if (index < 0)
            {
                index = columns.Count;
                columns.Add(column);
            }

            byName[name] = index;
        }

        badKey = null;
        problem = null;
        return new SensorCatalog(columns, byName, fuelTankCapacityL);
    }

    /// <summary>The column of a sensor name, <see cref="Ignored"/>, or false when the name is not configured.</summary>
    public bool TryFind(ReadOnlySpan<char> name, out int column) => _bySpan.TryGetValue(name, out column);

    /// <summary>The column a kind names; null column for <c>Ignore</c>; false for an unknown kind.</summary>
    private static bool TryDescribe(string name, string kind, out SensorColumn? column)
    {
        const float Huge = float.MaxValue;
        column = kind.Trim() switch
        {
            "FuelLevel" => new SensorColumn(SensorColumnKind.FuelLevel, 0, ScalarKind.Unspecified, "", 0, 100, false),
            "EngineRpm" => Scalar(ScalarKind.EngineRpm, 0, 10_000),
            "BatteryVoltage" => Scalar(ScalarKind.BatteryVoltageV, 0, 60),
            "ReeferDoorOpen" => new SensorColumn(SensorColumnKind.Scalar, 0, ScalarKind.ReeferDoorOpen, "", 0, 1, true),
            "HumidityPercent" => Scalar(ScalarKind.HumidityPercent, 0, 100),
            "OdometerKm" => Scalar(ScalarKind.OdometerKm, 0, Huge),
            "Custom" => new SensorColumn(SensorColumnKind.Scalar, 0, ScalarKind.Custom, name, -Huge, Huge, false),
            _ => null,
        };

        string trimmed = kind.Trim();
        if (column is null && trimmed.StartsWith("ReeferZone", StringComparison.Ordinal) && trimmed.Length == "ReeferZone".Length + 1
            && trimmed[^1] is >= '1' and <= '8')
        {
            column = new SensorColumn(SensorColumnKind.Temperature, (uint)(trimmed[^1] - '0'), ScalarKind.Unspecified, "", -100, 100, false);
        }

        return column is not null || trimmed == "Ignore";
    }

    private static SensorColumn Scalar(ScalarKind kind, float min, float max) => new(SensorColumnKind.Scalar, 0, kind, "", min, max, false);
}
