namespace Convoy.FleetHistory.Store.ClickHouse;

/// <summary>
/// The store's tables. Times are epoch milliseconds in Int64 (no DateTime64: 18.16 has none), as
/// in the DuckDB store. Every table but <c>flushes</c> holds rows of flushes, tagged with their
/// flush id, and is read through <see cref="TenantScope.From"/>, which hides the rows of flushes
/// that never committed (see <see cref="ClickHouseFleetStore"/>). Nothing is updated in place:
/// rollups, device state, alerts, sequence marks and offsets are rows that reads merge (min, max,
/// sum, argMax by time or state), so a write only ever appends.
/// </summary>
/// <remarks>
/// Kept to SQL that ClickHouse 18.16 and current releases both accept: MergeTree engines in the
/// <c>ORDER BY</c> syntax, no TTL, no LowCardinality, no DateTime64, no Nullable columns.
/// </remarks>
internal static class ClickHouseSchema
{
    public const string Positions = "positions";
    public const string RollupsMinute = "rollups_minute";
    public const string RollupsHour = "rollups_hour";
    public const string Devices = "devices";
    public const string ZoneTemperatures = "zone_temperatures";
    public const string Alerts = "alerts";
    public const string Acknowledgements = "acknowledgements";
    public const string Sequences = "sequences";
    public const string Offsets = "offsets";
    public const string Flushes = "flushes";
    public const string Retention = "retention";

    private const string Rollup =
        "device String, sensor String, zone UInt32, start_ms Int64, min Float32, max Float32, sum Float64, count Int64, last Float32, last_ms Int64, flush String";

    /// <summary>Each table: its columns (in the order inserts write them), engine and sorting key, all without the shared tables' tenant column.</summary>
    public static readonly IReadOnlyList<Table> Tables =
    [
        new(Positions, "device String, time_ms Int64, latitude_deg Float64, longitude_deg Float64, speed_kmh Float32, heading_deg Float32, flush String",
            "MergeTree()", "device, time_ms"),
        new(RollupsMinute, Rollup, "MergeTree()", "device, sensor, zone, start_ms"),
        new(RollupsHour, Rollup, "MergeTree()", "device, sensor, zone, start_ms"),
        new(Devices, "device String, last_seen_ms Int64, position_ms Int64, latitude_deg Float64, longitude_deg Float64, speed_kmh Float32, heading_deg Float32, "
            + "fuel_ms Int64, fuel_percent Float32, flush String",
            "MergeTree()", "device"),
        new(ZoneTemperatures, "device String, zone UInt32, time_ms Int64, temperature_c Float32, flush String", "MergeTree()", "device, zone"),
        new(Alerts, "alert_id String, device String, rule String, severity Int32, state Int32, start_ms Int64, end_ms Int64, trigger_value Float64, "
            + "trigger_unit String, message String, position_ms Int64, latitude_deg Float64, longitude_deg Float64, speed_kmh Float32, source_sequence UInt64, flush String",
            "MergeTree()", "alert_id"),
        // Kept apart from the alert's rows: an acknowledgement may come before its alert. The later wins (argMax by (ack_ms, flush)).
        new(Acknowledgements, "alert_id String, ack_device String, ack_by String, ack_note String, ack_ms Int64, flush String", "MergeTree()", "alert_id"),
        new(Sequences, "device String, sender String, sequence UInt64, flush String", "MergeTree()", "device, sender"),
        new(Offsets, "topic String, kafka_partition Int32, next_offset Int64, flush String", "MergeTree()", "topic, kafka_partition"),
        // The tenant's own retention as its admin set it; the newest committed row wins.
        new(Retention, "positions_days Int32, rollups_days Int32, alerts_days Int32, flush String", "MergeTree()", "flush"),
        // A flush's +1 row is written before its rows, its -1 row after them: a flush whose sum is
        // still +1 is being written or never finished. Merges cancel the pairs, so the table keeps
        // little more than the flushes in progress and those a crash left behind.
        new(Flushes, "flush String, sign Int8", "CollapsingMergeTree(sign)", "flush"),
    ];

    internal sealed record Table(string Name, string Columns, string Engine, string SortingKey);
}
