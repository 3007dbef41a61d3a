using System.Collections.Concurrent;
using Convoy.Contracts.Alerts.V1;
using Convoy.Contracts.Fleet.V1;
using Convoy.Pki;
using DuckDB.NET.Data;

namespace Convoy.FleetHistory.Store.DuckDb;

/// <summary>
/// The embedded store: one DuckDB database file per tenant (<c>&lt;folder&gt;/&lt;tenant&gt;.duckdb</c>).
/// That is physical isolation: no query of one tenant can name another's file, and deleting a
/// tenant deletes its file. Writes append positions with DuckDB's appender and merge rollups and
/// device state through per-connection staging tables, all in one transaction per flush.
/// </summary>
internal sealed class DuckDbFleetStore : IFleetStore
{
    private readonly string _folder;
    private readonly ConcurrentDictionary<string, TenantDatabase> _tenants = new(StringComparer.Ordinal);
    private readonly Lock _opening = new();

    // Held shared by everything that uses a tenant's file, and exclusively by Promote and
    // DeleteTenant while they close and replace one: no connection is open on a file being
    // replaced, and a query reads one version of a tenant from its first statement to its last.
    private readonly ReaderWriterLockSlim _versions = new(LockRecursionPolicy.SupportsRecursion);
    private const long HourMs = 3_600_000;
    private const long DayMs = 86_400_000;

    public DuckDbFleetStore(string folder)
    {
        _folder = Path.GetFullPath(folder);
        Directory.CreateDirectory(_folder);
    }

    public string Kind => "duckdb";

    public IReadOnlyDictionary<PartitionKey, long> Offsets(string tenant)
    {
        var result = new Dictionary<PartitionKey, long>();
        Read(tenant, "SELECT topic, kafka_partition, next_offset FROM offsets", null, r => result[new(r.GetString(0), r.GetInt32(1))] = r.GetInt64(2));
        return result;
    }

    public IReadOnlyDictionary<SenderKey, ulong> Sequences(string tenant)
    {
        var result = new Dictionary<SenderKey, ulong>();
        Read(tenant, "SELECT device, sender, sequence FROM sequences", null, r => result[new(r.GetString(0), r.GetString(1))] = r.GetFieldValue<ulong>(2));
        return result;
    }

    public void Write(TenantChanges changes)
    {
        using var shared = Shared();
        try
        {
            Open(changes.Tenant, create: true)!.Write(changes);
        }
        catch (Exception e) when (e is DuckDBException or IOException or UnauthorizedAccessException)
        {
            throw new StoreUnavailableException($"writing tenant {changes.Tenant}'s projections to {_folder} failed: {e.Message}", e);
        }
    }

    public bool HasDevice(string tenant, string device)
    {
        bool found = false;
        Read(tenant, "SELECT 1 FROM devices WHERE device = $device UNION ALL SELECT 1 FROM alerts WHERE device = $device LIMIT 1",
            c => c.Parameters.Add(new DuckDBParameter("device", device)), _ => found = true);
        return found;
    }

    public IReadOnlyList<DeviceState> FleetState(string tenant, IReadOnlyCollection<string> devices, string afterDevice, int limit)
    {
        using var shared = Shared();
        var states = new List<DeviceState>(PageCapacity(limit));
        string only = devices.Count == 0 ? "" : " AND list_contains($only, device)";
        Read(tenant, $"""
            SELECT device, last_seen_ms, position_ms, latitude_deg, longitude_deg, speed_kmh, heading_deg, fuel_ms, fuel_percent
            FROM devices WHERE device > $after{only} ORDER BY device LIMIT $limit
            """,
            c =>
            {
                c.Parameters.Add(new DuckDBParameter("after", afterDevice));
                c.Parameters.Add(new DuckDBParameter("limit", limit));
                if (devices.Count > 0)
                {
                    c.Parameters.Add(new DuckDBParameter("only", devices.ToList()));
                }
            },
            r =>
            {
                var state = new DeviceState { DeviceId = r.GetString(0), LastSeenUnixMs = r.GetInt64(1) };
                if (r.GetInt64(2) > 0)
                {
                    state.Position = new TrackPoint
                    {
                        TimeUnixMs = r.GetInt64(2), LatitudeDeg = r.GetDouble(3), LongitudeDeg = r.GetDouble(4), SpeedKmh = r.GetFloat(5), HeadingDeg = r.GetFloat(6),
                    };
                }

                if (r.GetInt64(7) > 0)
                {
                    state.Fuel = new FuelLevel { TimeUnixMs = r.GetInt64(7), LevelPercent = r.GetFloat(8) };
                }

                states.Add(state);
            });
        if (states.Count == 0)
        {
            return states;
        }

        // The page's devices are every device from its first to its last that the filter takes:
        // selecting them by that range reads the page's rows without comparing each row with a
        // list of the page (a list of 10,000 devices made the whole page 2x slower).
        void Page(DuckDBCommand c)
        {
            c.Parameters.Add(new DuckDBParameter("first", states[0].DeviceId));
            c.Parameters.Add(new DuckDBParameter("last", states[^1].DeviceId));
            if (devices.Count > 0)
            {
                c.Parameters.Add(new DuckDBParameter("only", devices.ToList()));
            }
        }

        string inPage = "device >= $first AND device <= $last" + only;
        int zones = 0;
        Read(tenant, $"SELECT device, zone, temperature_c, time_ms FROM zone_temperatures WHERE {inPage} ORDER BY device, zone", Page, r =>
            Of(states, r.GetString(0), ref zones)?.Temperatures.Add(new ZoneTemperature { Zone = (uint)r.GetInt32(1), TemperatureC = r.GetFloat(2), TimeUnixMs = r.GetInt64(3) }));
        int alerts = 0;
        Read(tenant, $"SELECT {AlertColumns} FROM {AlertsWithAcknowledgements} WHERE state = 1 AND {inPage} ORDER BY device, start_ms", Page, r =>
            Of(states, r.GetString(1), ref alerts)?.FiringAlerts.Add(ReadAlert(tenant, r)));
        return states;
    }

    /// <summary>
    /// The page's state of <paramref name="device"/>, for rows in the page's own order (DuckDB's
    /// order by device, as the page): a walk from the previous row's device, with no lookup table
    /// (a dictionary of 10,000 devices is a large-object-heap allocation per query). A device
    /// not in the page leaves the walk where it was.
    /// </summary>
    private static DeviceState? Of(List<DeviceState> states, string device, ref int cursor)
    {
        for (int i = cursor; i < states.Count; i++)
        {
            if (string.Equals(states[i].DeviceId, device, StringComparison.Ordinal))
            {
                cursor = i;
                return states[i];
            }
        }

        return null;
    }

    public IReadOnlyList<TrackPoint> Track(string tenant, string device, long fromMs, long toMs, long afterMs, int limit)
    {
        var points = new List<TrackPoint>(PageCapacity(limit));
        // Both position tables (DuckDbSchema): each side filtered on its own, so the sorted one's zone maps skip other trucks.
        Read(tenant, """
            SELECT time_ms, latitude_e7 / 1e7, longitude_e7 / 1e7, CAST(speed_dkmh / 10 AS REAL), CAST(heading_ddeg / 10 AS REAL) FROM track
            WHERE device = $device AND time_ms >= $from AND time_ms < $to AND time_ms > $after
            UNION ALL
            SELECT time_ms, latitude_deg, longitude_deg, speed_kmh, heading_deg FROM positions
            WHERE device = $device AND time_ms >= $from AND time_ms < $to AND time_ms > $after
            ORDER BY time_ms LIMIT $limit
            """,
            c => Parameters(c, ("device", device), ("from", fromMs), ("to", toMs), ("after", afterMs), ("limit", limit)),
            r => points.Add(new TrackPoint { TimeUnixMs = r.GetInt64(0), LatitudeDeg = r.GetDouble(1), LongitudeDeg = r.GetDouble(2), SpeedKmh = r.GetFloat(3), HeadingDeg = r.GetFloat(4) }));
        return points;
    }

    public IReadOnlyList<Contracts.Fleet.V1.Rollup> Rollups(string tenant, string device, string sensor, uint zone, Resolution resolution, long fromMs, long toMs, long afterMs, int limit)
    {
        string table = resolution == Resolution.Hour ? "rollups_hour" : "rollups_minute";
        var rollups = new List<Contracts.Fleet.V1.Rollup>(PageCapacity(limit));
        Read(tenant, $"""
            SELECT start_ms, min, max, sum / count, count, last, last_ms FROM {table}
            WHERE device = $device AND sensor = $sensor AND zone = $zone AND start_ms >= $from AND start_ms < $to AND start_ms > $after
            ORDER BY start_ms LIMIT $limit
            """,
            c => Parameters(c, ("device", device), ("sensor", sensor), ("zone", (int)zone), ("from", fromMs), ("to", toMs), ("after", afterMs), ("limit", limit)),
            r => rollups.Add(new Contracts.Fleet.V1.Rollup
            {
                StartUnixMs = r.GetInt64(0), Min = r.GetFloat(1), Max = r.GetFloat(2), Mean = r.GetDouble(3), Count = (ulong)r.GetInt64(4), Last = r.GetFloat(5), LastTimeUnixMs = r.GetInt64(6),
            }));
        return rollups;
    }

    public IReadOnlyList<Alert> Alerts(string tenant, AlertFilter filter, AlertCursor? after, int limit)
    {
        var where = new List<string>();
        var parameters = new List<(string, object)> { ("limit", limit) };
        if (filter.Device.Length > 0)
        {
            where.Add("device = $device");
            parameters.Add(("device", filter.Device));
        }

        if (filter.Rule.Length > 0)
        {
            where.Add("rule = $rule");
            parameters.Add(("rule", filter.Rule));
        }

        if (filter.State != AlertState.Unspecified)
        {
            where.Add("state = $state");
            parameters.Add(("state", (int)filter.State));
        }

        if (filter.ToMs > 0)
        {
            where.Add("start_ms >= $from AND start_ms < $to");
            parameters.Add(("from", filter.FromMs));
            parameters.Add(("to", filter.ToMs));
        }

        if (filter.AlertIds is { Count: 0 })
        {
            where.Add("false");
        }
        else if (filter.AlertIds is { } ids)
        {
            where.Add("list_contains($ids, alert_id)");
            parameters.Add(("ids", ids.ToList()));
        }

        if (after is { } cursor)
        {
            where.Add("(start_ms < $cstart OR (start_ms = $cstart AND alert_id > $cid))");
            parameters.Add(("cstart", cursor.StartMs));
            parameters.Add(("cid", cursor.AlertId));
        }

        string sql = $"SELECT {AlertColumns} FROM {AlertsWithAcknowledgements}{(where.Count > 0 ? " WHERE " + string.Join(" AND ", where) : "")} ORDER BY start_ms DESC, alert_id LIMIT $limit";
        var alerts = new List<Alert>();
        Read(tenant, sql, c => Parameters(c, [.. parameters]), r => alerts.Add(ReadAlert(tenant, r)));
        return alerts;
    }

    public void Ping()
    {
        // Each tenant's file opens on its first use; what every tenant needs is the folder.
        try
        {
            _ = Directory.EnumerateFiles(_folder, "*.duckdb").Any();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StoreUnavailableException($"the DuckDB folder {_folder} cannot be read: {e.Message}", e);
        }
    }

    public IReadOnlyList<string> Tenants() =>
        [.. Directory.EnumerateFiles(_folder, "*.duckdb")
            .Select(Path.GetFileNameWithoutExtension)
            .OfType<string>()
            .Where(DeviceIdentity.IsValidTenant)
            .Order(StringComparer.Ordinal)];

    public RetentionDays? Retention(string tenant)
    {
        RetentionDays? days = null;
        Read(tenant, "SELECT positions_days, rollups_days, alerts_days FROM retention", null, r => days = new RetentionDays(r.GetInt32(0), r.GetInt32(1), r.GetInt32(2)));
        return days;
    }

    public void SetRetention(string tenant, RetentionDays days) =>
        Change(tenant, database => database.Execute(
            "DELETE FROM retention; INSERT INTO retention VALUES ($positions, $rollups, $alerts);",
            ("positions", days.Positions), ("rollups", days.Rollups), ("alerts", days.Alerts)));

    public RowCounts ApplyRetention(string tenant, long positionsBeforeMs, long rollupsBeforeMs, long alertsBeforeMs)
    {
        using var shared = Shared();
        if (Open(tenant, create: false) is null)
        {
            return default;
        }

        RowCounts deleted = default;
        Change(tenant, database =>
        {
            long positions = database.Execute("DELETE FROM positions WHERE time_ms < $cut", ("cut", positionsBeforeMs))
                + database.Execute("DELETE FROM track WHERE time_ms < $cut", ("cut", positionsBeforeMs));
            long rollups = database.Execute("DELETE FROM rollups_minute WHERE start_ms < $cut", ("cut", rollupsBeforeMs))
                + database.Execute("DELETE FROM rollups_hour WHERE start_ms < $cut", ("cut", rollupsBeforeMs));
            // A dispatcher's note goes with its alert: acknowledgements of the alerts deleted below,
            // and old ones whose alert is not here (it was deleted before, or never came).
            database.Execute(
                "DELETE FROM acknowledgements WHERE alert_id IN (SELECT alert_id FROM alerts WHERE state = 2 AND start_ms < $cut) "
                + "OR (ack_ms < $cut AND alert_id NOT IN (SELECT alert_id FROM alerts))", ("cut", alertsBeforeMs));
            // A firing alert is kept however old: it is still the truck's state.
            long alerts = database.Execute("DELETE FROM alerts WHERE state = 2 AND start_ms < $cut", ("cut", alertsBeforeMs));
            deleted = new RowCounts(positions, rollups, alerts, 0);
        });
        return deleted;
    }

    public TrackCompaction CompactTrack(string tenant, long nowMs)
    {
        using var shared = Shared();
        if (Open(tenant, create: false) is null)
        {
            return default;
        }

        // The hours before the last whole one are closed (a late fix still lands in positions and
        // moves at the next pass); a day is settled once it has been over for an hour.
        long hourCut = ((nowMs / HourMs) - 1) * HourMs;
        long dayCut = (nowMs - HourMs) / DayMs * DayMs;
        var compaction = default(TrackCompaction);
        Change(tenant, database => compaction = database.CompactTrack(hourCut, dayCut));
        return compaction;
    }

    public RowCounts DeleteTenant(string tenant)
    {
        if (!DeviceIdentity.IsValidTenant(tenant))
        {
            throw new ArgumentException($"'{tenant}' is not a tenant id", nameof(tenant));
        }

        string path = PathOf(tenant);
        _versions.EnterWriteLock();
        try
        {
            return Delete(tenant, path);
        }
        catch (Exception e) when (e is DuckDBException or IOException or UnauthorizedAccessException)
        {
            throw new StoreUnavailableException($"deleting tenant {tenant}'s store {path} failed: {e.Message}", e);
        }
        finally
        {
            _versions.ExitWriteLock();
        }
    }

    /// <summary>A folder of its own under this one (<c>rebuild/</c>): its files are not tenants of this store.</summary>
    public IFleetStore? RebuildSpace(string tenant, out string whyNot)
    {
        whyNot = "";
        return new DuckDbFleetStore(Path.Combine(_folder, "rebuild"));
    }

    /// <summary>
    /// Closes the rebuilt file and renames it over the tenant's live file, while no query or write
    /// has a connection open on either (a rename within one folder: the new version is whole or absent).
    /// </summary>
    public void Promote(string tenant, IFleetStore space)
    {
        if (space is not DuckDbFleetStore rebuilt)
        {
            throw new ArgumentException("not a DuckDB rebuild space", nameof(space));
        }

        string to = PathOf(tenant);
        _versions.EnterWriteLock();
        try
        {
            string from = rebuilt.Release(tenant);
            lock (_opening)
            {
                if (_tenants.TryRemove(tenant, out var live))
                {
                    live.Dispose();
                }
            }

            File.Delete(to + ".wal");
            File.Move(from, to, overwrite: true);
            if (File.Exists(from + ".wal"))
            {
                File.Move(from + ".wal", to + ".wal");
            }
        }
        catch (Exception e) when (e is DuckDBException or IOException or UnauthorizedAccessException)
        {
            throw new StoreUnavailableException($"switching tenant {tenant} to its rebuilt projections ({to}) failed: {e.Message}", e);
        }
        finally
        {
            _versions.ExitWriteLock();
        }
    }

    /// <summary>Closes the tenant's file, checkpointed, if it is open; its path.</summary>
    private string Release(string tenant)
    {
        _versions.EnterWriteLock();
        try
        {
            lock (_opening)
            {
                if (_tenants.TryRemove(tenant, out var database))
                {
                    database.Dispose();
                }
            }

            return PathOf(tenant);
        }
        finally
        {
            _versions.ExitWriteLock();
        }
    }

    private string PathOf(string tenant) => Path.Combine(_folder, tenant + ".duckdb");

    private SharedUse Shared()
    {
        _versions.EnterReadLock();
        return new SharedUse(_versions);
    }

    private readonly struct SharedUse(ReaderWriterLockSlim versions) : IDisposable
    {
        public void Dispose() => versions.ExitReadLock();
    }

    private RowCounts Delete(string tenant, string path)
    {
        RowCounts held = default;
        lock (_opening)
        {
            if (Open(tenant, create: false) is { } database)
            {
                database.Read(
                    "SELECT (SELECT count(*) FROM positions) + (SELECT count(*) FROM track), (SELECT count(*) FROM rollups_minute) + (SELECT count(*) FROM rollups_hour), " +
                    "(SELECT count(*) FROM alerts), (SELECT count(*) FROM devices)",
                    null, r => held = new RowCounts(r.GetInt64(0), r.GetInt64(1), r.GetInt64(2), r.GetInt64(3)));
                _tenants.TryRemove(tenant, out _);
                database.Dispose();
            }

            // The tenant's file is all of its data: deleting it leaves nothing of the tenant behind.
            File.Delete(path);
            File.Delete(path + ".wal");
        }

        return held;
    }

    private void Change(string tenant, Action<TenantDatabase> change)
    {
        using var shared = Shared();
        try
        {
            change(Open(tenant, create: true)!);
        }
        catch (Exception e) when (e is DuckDBException or IOException or UnauthorizedAccessException)
        {
            throw new StoreUnavailableException($"changing tenant {tenant}'s store in {_folder} failed: {e.Message}", e);
        }
    }

    public void Dispose()
    {
        foreach (var database in _tenants.Values)
        {
            database.Dispose();
        }

        _tenants.Clear();
        _versions.Dispose();
    }

    /// <summary>
    /// A page's list sized at once, up to the API's largest page (10,000 and one more): growing to
    /// it would put arrays on the large object heap (from 85,000 bytes), and that heap's budget is
    /// what triggers gen2 collections under a query load. 10,001 references stay under it.
    /// </summary>
    private static int PageCapacity(int limit) => Math.Clamp(limit, 0, 10_001);

    private const string AlertColumns = "alert_id, device, rule, severity, state, start_ms, end_ms, trigger_value, trigger_unit, message, position_ms, latitude_deg, longitude_deg, speed_kmh, source_sequence, "
        + "coalesce(ack_by, ''), coalesce(ack_note, ''), coalesce(ack_ms, 0)";

    /// <summary>Alerts with their acknowledgement, if any (an acknowledgement without its alert is not an alert).</summary>
    private const string AlertsWithAcknowledgements = "alerts LEFT JOIN acknowledgements USING (alert_id)";

    private static Alert ReadAlert(string tenant, DuckDBDataReader r)
    {
        var alert = new Alert
        {
            AlertId = r.GetString(0),
            TenantId = tenant,
            DeviceId = r.GetString(1),
            RuleId = r.GetString(2),
            Severity = (Severity)r.GetInt32(3),
            State = (AlertState)r.GetInt32(4),
            StartTimeUnixMs = r.GetInt64(5),
            EndTimeUnixMs = r.GetInt64(6),
            TriggerValue = r.GetDouble(7),
            TriggerUnit = r.GetString(8),
            Message = r.GetString(9),
            SourceSequence = r.GetFieldValue<ulong>(14),
        };
        if (r.GetInt64(10) > 0)
        {
            alert.LastPosition = new Position { TimeUnixMs = r.GetInt64(10), LatitudeDeg = r.GetDouble(11), LongitudeDeg = r.GetDouble(12), SpeedKmh = r.GetFloat(13) };
        }

        if (r.GetInt64(17) > 0)
        {
            alert.Acknowledgement = new Acknowledgement { By = r.GetString(15), Note = r.GetString(16), TimeUnixMs = r.GetInt64(17) };
        }

        return alert;
    }

    private static void Parameters(DuckDBCommand command, params (string Name, object Value)[] parameters)
    {
        foreach (var (name, value) in parameters)
        {
            command.Parameters.Add(new DuckDBParameter(name, value));
        }
    }

    /// <summary>Runs a query on a connection of its own; a tenant without a database reads as empty (and gets none made).</summary>
    private void Read(string tenant, string sql, Action<DuckDBCommand>? parameters, Action<DuckDBDataReader> row)
    {
        using var shared = Shared();
        try
        {
            Open(tenant, create: false)?.Read(sql, parameters, row);
        }
        catch (Exception e) when (e is DuckDBException or IOException or UnauthorizedAccessException)
        {
            throw new StoreUnavailableException($"reading tenant {tenant}'s projections failed: {e.Message}", e);
        }
    }

    private TenantDatabase? Open(string tenant, bool create)
    {
        // The tenant names a file: only a valid tenant id (1..63 of [a-z0-9-]) ever gets near a path.
        if (!DeviceIdentity.IsValidTenant(tenant))
        {
            throw new ArgumentException($"'{tenant}' is not a tenant id", nameof(tenant));
        }

        if (_tenants.TryGetValue(tenant, out var database))
        {
            return database;
        }

        string path = PathOf(tenant);
        if (!create && !File.Exists(path))
        {
            return null;
        }

        // Opened once: two connections creating the same tables at once conflict in DuckDB's catalog.
        lock (_opening)
        {
            if (!_tenants.TryGetValue(tenant, out database))
            {
                database = new TenantDatabase(path);
                _tenants[tenant] = database;
            }

            return database;
        }
    }

    /// <summary>One tenant's file: a writer connection (the projector's, with its staging tables) and a connection per read.</summary>
    private sealed class TenantDatabase : IDisposable
    {
        private readonly Lock _writing = new();
        private readonly DuckDBConnection _writer;

        public TenantDatabase(string path)
        {
            Path = path;
            _writer = new DuckDBConnection($"Data Source={path}");
            _writer.Open();
            Execute(_writer, DuckDbSchema.Create);
            Execute(_writer, DuckDbSchema.Staging);
        }

        public string Path { get; }

        public void Write(TenantChanges changes)
        {
            lock (_writing)
            {
                using var transaction = _writer.BeginTransaction();
                if (changes.Positions.Count > 0)
                {
                    using var appender = _writer.CreateAppender("positions");
                    foreach (var p in changes.Positions)
                    {
                        appender.CreateRow().AppendValue(p.Device).AppendValue(p.TimeMs).AppendValue(p.LatitudeDeg).AppendValue(p.LongitudeDeg)
                            .AppendValue(p.SpeedKmh).AppendValue(p.HeadingDeg).EndRow();
                    }
                }

                MergeRollups(changes.Minutes, "rollups_minute", "stage_minute");
                MergeRollups(changes.Hours, "rollups_hour", "stage_hour");
                MergeDevices(changes.Devices);
                foreach (var alert in changes.Alerts.Values)
                {
                    UpsertAlert(alert);
                }

                foreach (var ack in changes.Acknowledgements.Values)
                {
                    Execute(_writer, DuckDbSchema.UpsertAcknowledgement, ("id", ack.AlertId), ("device", ack.Device), ("by", ack.By), ("note", ack.Note), ("ms", ack.TimeMs));
                }

                MergeSequences(changes.Sequences);
                MergeOffsets(changes.Offsets);

                transaction.Commit();
            }
        }

        /// <summary>Moves the fixes before <paramref name="hourCut"/> into the sorted track, and sorts again the days not settled before <paramref name="dayCut"/>; one transaction.</summary>
        public TrackCompaction CompactTrack(long hourCut, long dayCut)
        {
            lock (_writing)
            {
                using var transaction = _writer.BeginTransaction();
                long moved = Execute(_writer, DuckDbSchema.MoveClosedHours, ("cut", hourCut));
                Execute(_writer, DuckDbSchema.DeleteMovedPositions, ("cut", hourCut));
                long settled = 0;
                long through = Scalar(DuckDbSchema.SettledThrough);
                if (dayCut > through)
                {
                    settled = Scalar("SELECT count(*) FROM track WHERE time_ms >= $from AND time_ms < $to", ("from", through), ("to", dayCut));
                    Execute(_writer, DuckDbSchema.SettleDays, ("from", through), ("to", dayCut));
                }

                transaction.Commit();
                return new TrackCompaction(moved, settled);
            }
        }

        public void Read(string sql, Action<DuckDBCommand>? parameters, Action<DuckDBDataReader> row)
        {
            using var connection = new DuckDBConnection($"Data Source={Path}");
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = sql;
            parameters?.Invoke(command);
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                row(reader);
            }
        }

        public void Dispose() => _writer.Dispose();

        /// <summary>Runs a statement on the writer connection (serialised with the projector's writes); the rows it changed.</summary>
        public long Execute(string sql, params (string Name, object Value)[] parameters)
        {
            lock (_writing)
            {
                return Execute(_writer, sql, parameters);
            }
        }

        private void MergeRollups(Dictionary<RollupKey, RollupCell> cells, string table, string stage)
        {
            if (cells.Count == 0)
            {
                return;
            }

            long from = long.MaxValue, to = long.MinValue;
            using (var appender = _writer.CreateAppender(stage))
            {
                foreach (var (key, cell) in cells)
                {
                    appender.CreateRow().AppendValue(key.Device).AppendValue(key.Sensor).AppendValue((int)key.Zone).AppendValue(key.StartMs)
                        .AppendValue(cell.Min).AppendValue(cell.Max).AppendValue(cell.Sum).AppendValue(cell.Count).AppendValue(cell.Last).AppendValue(cell.LastMs).EndRow();
                    from = Math.Min(from, key.StartMs);
                    to = Math.Max(to, key.StartMs);
                }
            }

            Execute(_writer, DuckDbSchema.MergeRollups(table, stage), ("from", from), ("to", to));
        }

        private void MergeDevices(Dictionary<string, DeviceLatest> devices)
        {
            if (devices.Count == 0)
            {
                return;
            }

            using (var appender = _writer.CreateAppender("stage_devices"))
            {
                foreach (var (device, latest) in devices)
                {
                    var p = latest.Position ?? default;
                    appender.CreateRow().AppendValue(device).AppendValue(latest.LastSeenMs)
                        .AppendValue(p.TimeMs).AppendValue(p.LatitudeDeg).AppendValue(p.LongitudeDeg).AppendValue(p.SpeedKmh).AppendValue(p.HeadingDeg)
                        .AppendValue(latest.FuelMs).AppendValue(latest.FuelPercent).EndRow();
                }
            }

            using (var appender = _writer.CreateAppender("stage_temperatures"))
            {
                foreach (var (device, latest) in devices)
                {
                    foreach (var (zone, (celsius, time)) in latest.Temperatures)
                    {
                        appender.CreateRow().AppendValue(device).AppendValue((int)zone).AppendValue(time).AppendValue(celsius).EndRow();
                    }
                }
            }

            Execute(_writer, DuckDbSchema.MergeDevices);
        }

        /// <summary>
        /// The flush's (device, sender) marks in one statement: one upsert per mark cost about 5 ms
        /// each inside a flush's transaction, 5 s for a flush of 1,000 devices
        /// (bench/FleetHistory.Benchmarks).
        /// </summary>
        private void MergeSequences(Dictionary<SenderKey, ulong> sequences)
        {
            if (sequences.Count == 0)
            {
                return;
            }

            using (var appender = _writer.CreateAppender("stage_sequences"))
            {
                foreach (var ((device, sender), sequence) in sequences)
                {
                    appender.CreateRow().AppendValue(device).AppendValue(sender).AppendValue(sequence).EndRow();
                }
            }

            Execute(_writer, DuckDbSchema.MergeSequences);
        }

        private void MergeOffsets(Dictionary<PartitionKey, long> offsets)
        {
            if (offsets.Count == 0)
            {
                return;
            }

            using (var appender = _writer.CreateAppender("stage_offsets"))
            {
                foreach (var ((topic, partition), next) in offsets)
                {
                    appender.CreateRow().AppendValue(topic).AppendValue(partition).AppendValue(next).EndRow();
                }
            }

            Execute(_writer, DuckDbSchema.MergeOffsets);
        }

        private void UpsertAlert(Alert alert)
        {
            var position = alert.LastPosition;
            Execute(_writer, DuckDbSchema.UpsertAlert,
                ("id", alert.AlertId), ("device", alert.DeviceId), ("rule", alert.RuleId), ("severity", (int)alert.Severity), ("state", (int)alert.State),
                ("start", alert.StartTimeUnixMs), ("end", alert.EndTimeUnixMs), ("value", alert.TriggerValue), ("unit", alert.TriggerUnit), ("message", alert.Message),
                ("pms", position?.TimeUnixMs ?? 0L), ("lat", position?.LatitudeDeg ?? 0d), ("lon", position?.LongitudeDeg ?? 0d), ("speed", position?.SpeedKmh ?? 0f),
                ("seq", alert.SourceSequence));
        }

        private long Scalar(string sql, params (string Name, object Value)[] parameters)
        {
            using var command = _writer.CreateCommand();
            command.CommandText = sql;
            Parameters(command, parameters);
            return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        }

        private static int Execute(DuckDBConnection connection, string sql, params (string Name, object Value)[] parameters)
        {
            using var command = connection.CreateCommand();
            command.CommandText = sql;
            Parameters(command, parameters);
            return command.ExecuteNonQuery();
        }
    }
}
