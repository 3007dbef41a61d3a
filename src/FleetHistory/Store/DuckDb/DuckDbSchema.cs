namespace Convoy.FleetHistory.Store.DuckDb;

/// <summary>
/// The tables of one tenant's database file. Times are epoch milliseconds (BIGINT), as in the
/// ClickHouse store, so both answer the same queries the same way.
/// </summary>
internal static class DuckDbSchema
{
    public const string Create = """
        CREATE TABLE IF NOT EXISTS positions(
            device VARCHAR NOT NULL, time_ms BIGINT NOT NULL,
            latitude_deg DOUBLE NOT NULL, longitude_deg DOUBLE NOT NULL, speed_kmh REAL NOT NULL, heading_deg REAL NOT NULL);
        CREATE TABLE IF NOT EXISTS track(
            device VARCHAR NOT NULL, time_ms BIGINT NOT NULL,
            latitude_e7 INTEGER NOT NULL, longitude_e7 INTEGER NOT NULL, speed_dkmh SMALLINT NOT NULL, heading_ddeg SMALLINT NOT NULL);
        CREATE TABLE IF NOT EXISTS track_settled(through_ms BIGINT NOT NULL);
        CREATE TABLE IF NOT EXISTS rollups_minute(
            device VARCHAR NOT NULL, sensor VARCHAR NOT NULL, zone INTEGER NOT NULL, start_ms BIGINT NOT NULL,
            min REAL NOT NULL, max REAL NOT NULL, sum DOUBLE NOT NULL, count BIGINT NOT NULL, last REAL NOT NULL, last_ms BIGINT NOT NULL);
        CREATE TABLE IF NOT EXISTS rollups_hour(
            device VARCHAR NOT NULL, sensor VARCHAR NOT NULL, zone INTEGER NOT NULL, start_ms BIGINT NOT NULL,
            min REAL NOT NULL, max REAL NOT NULL, sum DOUBLE NOT NULL, count BIGINT NOT NULL, last REAL NOT NULL, last_ms BIGINT NOT NULL);
        CREATE TABLE IF NOT EXISTS devices(
            device VARCHAR PRIMARY KEY, last_seen_ms BIGINT NOT NULL,
            position_ms BIGINT NOT NULL, latitude_deg DOUBLE NOT NULL, longitude_deg DOUBLE NOT NULL, speed_kmh REAL NOT NULL, heading_deg REAL NOT NULL,
            fuel_ms BIGINT NOT NULL, fuel_percent REAL NOT NULL);
        CREATE TABLE IF NOT EXISTS zone_temperatures(
            device VARCHAR NOT NULL, zone INTEGER NOT NULL, time_ms BIGINT NOT NULL, temperature_c REAL NOT NULL,
            PRIMARY KEY (device, zone));
        CREATE TABLE IF NOT EXISTS alerts(
            alert_id VARCHAR PRIMARY KEY, device VARCHAR NOT NULL, rule VARCHAR NOT NULL, severity INTEGER NOT NULL, state INTEGER NOT NULL,
            start_ms BIGINT NOT NULL, end_ms BIGINT NOT NULL, trigger_value DOUBLE NOT NULL, trigger_unit VARCHAR NOT NULL, message VARCHAR NOT NULL,
            position_ms BIGINT NOT NULL, latitude_deg DOUBLE NOT NULL, longitude_deg DOUBLE NOT NULL, speed_kmh REAL NOT NULL,
            source_sequence UBIGINT NOT NULL);
        CREATE TABLE IF NOT EXISTS acknowledgements(
            alert_id VARCHAR PRIMARY KEY, ack_device VARCHAR NOT NULL, ack_by VARCHAR NOT NULL, ack_note VARCHAR NOT NULL, ack_ms BIGINT NOT NULL);
        CREATE TABLE IF NOT EXISTS sequences(
            device VARCHAR NOT NULL, sender VARCHAR NOT NULL, sequence UBIGINT NOT NULL,
            PRIMARY KEY (device, sender));
        CREATE TABLE IF NOT EXISTS retention(
            positions_days INTEGER NOT NULL, rollups_days INTEGER NOT NULL, alerts_days INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS offsets(
            topic VARCHAR NOT NULL, kafka_partition INTEGER NOT NULL, next_offset BIGINT NOT NULL,
            PRIMARY KEY (topic, kafka_partition));
        """;

    // Positions live in two tables. A flush appends to `positions` in arrival order (every truck's
    // fixes interleaved). Once an hour is over, its fixes move to `track` sorted by (device, time),
    // in compact columns: 1e-7 degrees, tenths of km/h and of degrees (far finer than a receiver's
    // accuracy). Once a day is over it is sorted again as a whole, so each truck's day lies in one
    // or two of DuckDB's row groups, whose zone maps on device and time let a track query skip all
    // the others, and the sorted columns compress to small deltas (docs/benchmarks.md, read side).
    private const string TrackColumns = """
        device, time_ms, CAST(round(latitude_deg * 1e7) AS INTEGER), CAST(round(longitude_deg * 1e7) AS INTEGER),
        CAST(round(speed_kmh * 10) AS SMALLINT), CAST(round(heading_deg * 10) % 3600 AS SMALLINT)
        """;

    /// <summary>Both position tables as one, in the positions table's columns.</summary>
    public const string AllPositions = """
        (SELECT device, time_ms, latitude_e7 / 1e7 AS latitude_deg, longitude_e7 / 1e7 AS longitude_deg,
                CAST(speed_dkmh / 10 AS REAL) AS speed_kmh, CAST(heading_ddeg / 10 AS REAL) AS heading_deg FROM track
         UNION ALL
         SELECT device, time_ms, latitude_deg, longitude_deg, speed_kmh, heading_deg FROM positions)
        """;

    public const string MoveClosedHours = $"INSERT INTO track SELECT {TrackColumns} FROM positions WHERE time_ms < $cut ORDER BY device, time_ms";

    public const string DeleteMovedPositions = "DELETE FROM positions WHERE time_ms < $cut";

    public const string SettledThrough = "SELECT coalesce(max(through_ms), 0) FROM track_settled";

    public const string SettleDays = """
        CREATE TEMP TABLE settling AS SELECT * FROM track WHERE time_ms >= $from AND time_ms < $to ORDER BY device, time_ms;
        DELETE FROM track WHERE time_ms >= $from AND time_ms < $to;
        INSERT INTO track SELECT * FROM settling ORDER BY device, time_ms;
        DROP TABLE settling;
        DELETE FROM track_settled;
        INSERT INTO track_settled VALUES ($to);
        """;

    /// <summary>Per-connection staging tables: a flush appends here, then merges into the tables above in one statement each.</summary>
    public const string Staging = """
        CREATE TEMP TABLE IF NOT EXISTS stage_minute AS SELECT * FROM rollups_minute LIMIT 0;
        CREATE TEMP TABLE IF NOT EXISTS stage_hour AS SELECT * FROM rollups_hour LIMIT 0;
        CREATE TEMP TABLE IF NOT EXISTS stage_devices AS SELECT * FROM devices LIMIT 0;
        CREATE TEMP TABLE IF NOT EXISTS stage_temperatures AS SELECT * FROM zone_temperatures LIMIT 0;
        CREATE TEMP TABLE IF NOT EXISTS stage_sequences AS SELECT * FROM sequences LIMIT 0;
        CREATE TEMP TABLE IF NOT EXISTS stage_offsets AS SELECT * FROM offsets LIMIT 0;
        """;

    // Rollups have no primary key: its index cost 0.59 B per reading stored, a third of the fixes
    // themselves (docs/benchmarks.md, read side). A flush's buckets ($from..$to, the staged keys'
    // range, which the table's zone maps on start_ms narrow to a few row groups) are merged into
    // the rows that have them, and the others inserted. The stage never holds a key twice (the
    // flush keys its buckets by a dictionary), so neither statement can match a row twice.
    public static string MergeRollups(string table, string stage) => $"""
        MERGE INTO {table} t USING {stage} s
        ON t.start_ms >= $from AND t.start_ms <= $to
           AND t.device = s.device AND t.sensor = s.sensor AND t.zone = s.zone AND t.start_ms = s.start_ms
        WHEN MATCHED THEN UPDATE SET
            min = least(t.min, s.min),
            max = greatest(t.max, s.max),
            sum = t.sum + s.sum,
            count = t.count + s.count,
            last = CASE WHEN s.last_ms >= t.last_ms THEN s.last ELSE t.last END,
            last_ms = greatest(t.last_ms, s.last_ms)
        WHEN NOT MATCHED THEN INSERT VALUES (s.device, s.sensor, s.zone, s.start_ms, s.min, s.max, s.sum, s.count, s.last, s.last_ms);
        DELETE FROM {stage};
        """;

    // A device's columns keep whichever reading is newer: a flush may carry an older batch (a truck
    // uploading its backlog) after a newer one was written.
    public const string MergeDevices = """
        INSERT INTO devices SELECT * FROM stage_devices
        ON CONFLICT (device) DO UPDATE SET
            last_seen_ms = greatest(devices.last_seen_ms, excluded.last_seen_ms),
            latitude_deg = CASE WHEN excluded.position_ms > devices.position_ms THEN excluded.latitude_deg ELSE devices.latitude_deg END,
            longitude_deg = CASE WHEN excluded.position_ms > devices.position_ms THEN excluded.longitude_deg ELSE devices.longitude_deg END,
            speed_kmh = CASE WHEN excluded.position_ms > devices.position_ms THEN excluded.speed_kmh ELSE devices.speed_kmh END,
            heading_deg = CASE WHEN excluded.position_ms > devices.position_ms THEN excluded.heading_deg ELSE devices.heading_deg END,
            position_ms = greatest(devices.position_ms, excluded.position_ms),
            fuel_percent = CASE WHEN excluded.fuel_ms > devices.fuel_ms THEN excluded.fuel_percent ELSE devices.fuel_percent END,
            fuel_ms = greatest(devices.fuel_ms, excluded.fuel_ms);
        DELETE FROM stage_devices;
        INSERT INTO zone_temperatures SELECT * FROM stage_temperatures
        ON CONFLICT (device, zone) DO UPDATE SET
            temperature_c = CASE WHEN excluded.time_ms > zone_temperatures.time_ms THEN excluded.temperature_c ELSE zone_temperatures.temperature_c END,
            time_ms = greatest(zone_temperatures.time_ms, excluded.time_ms);
        DELETE FROM stage_temperatures;
        """;

    // The resolved record of an alert outranks its firing record whatever order they come in: a
    // replay of the firing record after the resolution must not reopen it.
    public const string UpsertAlert = """
        INSERT INTO alerts VALUES ($id, $device, $rule, $severity, $state, $start, $end, $value, $unit, $message, $pms, $lat, $lon, $speed, $seq)
        ON CONFLICT (alert_id) DO UPDATE SET
            state = greatest(alerts.state, excluded.state),
            end_ms = greatest(alerts.end_ms, excluded.end_ms),
            trigger_value = CASE WHEN excluded.state >= alerts.state THEN excluded.trigger_value ELSE alerts.trigger_value END,
            trigger_unit = CASE WHEN excluded.state >= alerts.state THEN excluded.trigger_unit ELSE alerts.trigger_unit END,
            message = CASE WHEN excluded.state >= alerts.state THEN excluded.message ELSE alerts.message END,
            position_ms = CASE WHEN excluded.state >= alerts.state THEN excluded.position_ms ELSE alerts.position_ms END,
            latitude_deg = CASE WHEN excluded.state >= alerts.state THEN excluded.latitude_deg ELSE alerts.latitude_deg END,
            longitude_deg = CASE WHEN excluded.state >= alerts.state THEN excluded.longitude_deg ELSE alerts.longitude_deg END,
            speed_kmh = CASE WHEN excluded.state >= alerts.state THEN excluded.speed_kmh ELSE alerts.speed_kmh END,
            source_sequence = CASE WHEN excluded.state >= alerts.state THEN excluded.source_sequence ELSE alerts.source_sequence END;
        """;

    // The later acknowledgement of an alert wins (a flush holds at most one per alert); a replay
    // writes the same values again. Kept apart from the alert's row: it may come before it.
    public const string UpsertAcknowledgement = """
        INSERT INTO acknowledgements VALUES ($id, $device, $by, $note, $ms)
        ON CONFLICT (alert_id) DO UPDATE SET
            ack_device = CASE WHEN excluded.ack_ms >= acknowledgements.ack_ms THEN excluded.ack_device ELSE acknowledgements.ack_device END,
            ack_by = CASE WHEN excluded.ack_ms >= acknowledgements.ack_ms THEN excluded.ack_by ELSE acknowledgements.ack_by END,
            ack_note = CASE WHEN excluded.ack_ms >= acknowledgements.ack_ms THEN excluded.ack_note ELSE acknowledgements.ack_note END,
            ack_ms = greatest(acknowledgements.ack_ms, excluded.ack_ms);
        """;

    // A flush's marks and offsets are keyed by a dictionary, so no key comes twice in one statement.
    public const string MergeSequences = """
        INSERT INTO sequences SELECT * FROM stage_sequences
        ON CONFLICT (device, sender) DO UPDATE SET sequence = greatest(sequences.sequence, excluded.sequence);
        DELETE FROM stage_sequences;
        """;

    public const string MergeOffsets = """
        INSERT INTO offsets SELECT * FROM stage_offsets
        ON CONFLICT (topic, kafka_partition) DO UPDATE SET next_offset = excluded.next_offset;
        DELETE FROM stage_offsets;
        """;
}
