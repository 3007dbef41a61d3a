using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Convoy.Tenancy;
using Convoy.Contracts.Alerts.V1;
using Convoy.Contracts.Fleet.V1;

namespace Convoy.FleetHistory.Store.ClickHouse;

/// <summary>
/// The store for a deployment that outgrows one machine's DuckDB files: a ClickHouse server (or
/// cluster front) shared by every fleet history instance, reached over HTTP. Tenants are kept apart
/// by a database each or by a tenant column in shared tables (<see cref="ClickHouseIsolation"/>),
/// chosen per tenant by the tenant registry, and every statement is built by that tenant's
/// <see cref="TenantScope"/>.
/// </summary>
/// <remarks>
/// <para>
/// <b>A flush is all or nothing without transactions.</b> ClickHouse has none, and a plain MergeTree
/// keeps every row it is given, so a flush is written as several inserts and a crash can land
/// between any two. Re-projecting after such a crash writes the same readings again, and rollups are
/// partial aggregates (min, max, sum, count, last) that reads add up: counted twice, they would be
/// wrong for good. So every row carries the id of the flush that wrote it, and a flush is written as
/// (1) a <c>+1</c> row in <c>flushes</c>, (2) its positions, rollups, device state, alerts, sequence
/// marks and partition offsets, (3) a <c>-1</c> row in <c>flushes</c>: its commit. Every read
/// (<see cref="TenantScope.From"/>) leaves out the rows of flushes whose signs do not yet sum to
/// zero. A flush that failed or crashed before its commit is therefore invisible, offsets and
/// sequence marks included, so the projector resumes from the last committed offsets, re-reads the
/// same records, skips no batch as a replay, and writes them again as a new flush: nothing is lost
/// and nothing counted twice. The commit is one row, so it either landed or did not; when its answer
/// is lost but it landed, the offsets it made visible already say where to resume.
/// </para>
/// <para>
/// Why not deduplicate rows instead (ReplacingMergeTree by a deterministic key): a flush merges many
/// batches into one rollup row per bucket, and the flush after a crash need not cover the same
/// records as the one that crashed, so no key of a rollup row would tell a repeat from new
/// readings. The <c>flushes</c> table stays small: a CollapsingMergeTree, whose merges cancel each
/// committed +1/-1 pair, so it holds the flushes in progress and those abandoned (one per failed
/// write; their rows are hidden and take disk until someone deletes them).
/// </para>
/// <para>
/// <b>Merging happens at read time.</b> Nothing is updated in place: rollups sum and compare their
/// partial rows (<c>min(min), max(max), sum(sum), sum(count), argMax(last, last_ms)</c>); a device's
/// position, fuel and zone temperatures are the values with the newest time (<c>argMax</c>); an
/// alert's values come from its highest state (resolved, 2, outranks firing, 1, so a replayed firing
/// record never reopens it); sequence marks and offsets are <c>max</c>. Offsets only grow while a
/// partition exists; <c>max</c> rather than the newest write keeps two instances' clocks out of it
/// when a partition moves between them. Ties go to the later flush (flush ids start with the time).
/// </para>
/// </remarks>
internal sealed class ClickHouseFleetStore : IFleetStore
{
    private const string AlertVersion = "(state, flush)";

    // How long a tenant found in the shared tables is read there before it is looked for again.
    private const long SharedRecheckMs = 5_000;
    private static readonly TimeSpan MutationTimeout = TimeSpan.FromSeconds(120);

    // One aggregate per alert field, named a_* so that no alias shadows the column it aggregates (18.16
    // rejects that as a cyclic alias). The resolved record outranks the firing one: AlertVersion.
    private static readonly string AlertAggregates = string.Join(", ",
        $"argMax(device, {AlertVersion}) AS a_device",
        $"argMax(rule, {AlertVersion}) AS a_rule",
        $"argMax(severity, {AlertVersion}) AS a_severity",
        "max(state) AS a_state",
        $"argMax(start_ms, {AlertVersion}) AS a_start",
        "max(end_ms) AS a_end",
        $"argMax(trigger_value, {AlertVersion}) AS a_value",
        $"argMax(trigger_unit, {AlertVersion}) AS a_unit",
        $"argMax(message, {AlertVersion}) AS a_message",
        $"argMax(position_ms, {AlertVersion}) AS a_pms",
        $"argMax(latitude_deg, {AlertVersion}) AS a_lat",
        $"argMax(longitude_deg, {AlertVersion}) AS a_lon",
        $"argMax(speed_kmh, {AlertVersion}) AS a_speed",
        $"argMax(source_sequence, {AlertVersion}) AS a_seq");

    private const string AlertColumns = "alert_id, a_device, a_rule, a_severity, a_state, a_start, a_end, a_value, a_unit, a_message, a_pms, a_lat, a_lon, a_speed, a_seq";

    private readonly ClickHouseConnection _connection;
    private readonly bool _ownsConnection = true;
    private readonly ClickHouseIsolation _isolation;
    private readonly Func<string, ClickHouseIsolation?>? _registry;
    private readonly string _database;

    // Where each tenant's projections are, once found or first written, and when that was seen: a
    // tenant stays in the layout its projections were written in, whatever the registry says later,
    // until a rebuild moves it out of the shared tables (the only move there is).
    private readonly ConcurrentDictionary<string, (ClickHouseIsolation Isolation, long SeenMs)> _placed = new(StringComparer.Ordinal);

    // The databases whose tables this process has created (or found): made once, on a tenant's first write.
    private readonly ConcurrentDictionary<string, byte> _created = new(StringComparer.Ordinal);
    private readonly Lock _creating = new();

    /// <param name="url">ClickHouse's HTTP interface, e.g. <c>http://127.0.0.1:8123/</c>.</param>
    /// <param name="isolation">how tenants are kept apart: a database each, or shared tables with a tenant column; for every tenant the registry says nothing of.</param>
    /// <param name="database">the shared database, and the prefix of each tenant's.</param>
    /// <param name="handler">for tests: what sends the requests.</param>
    /// <param name="registry">the registry's choice for a tenant (its <c>Store:Isolation</c>), null where it has none; without it every tenant has <paramref name="isolation"/>.</param>
    public ClickHouseFleetStore(Uri url, ClickHouseIsolation isolation, string database, HttpMessageHandler? handler = null, Func<string, ClickHouseIsolation?>? registry = null)
    {
        _connection = new ClickHouseConnection(url, handler);
        _isolation = isolation;
        _registry = registry;
        _database = database;
    }

    // A rebuild space: the same server and connection, databases of another prefix.
    private ClickHouseFleetStore(ClickHouseConnection connection, string database)
    {
        _connection = connection;
        _ownsConnection = false;
        _isolation = ClickHouseIsolation.DatabasePerTenant;
        _database = database;
    }

    public string Kind => "clickhouse";

    public IReadOnlyDictionary<PartitionKey, long> Offsets(string tenant)
    {
        var scope = Scope(tenant);
        var result = new Dictionary<PartitionKey, long>();
        Read(scope, $"SELECT topic, kafka_partition, max(next_offset) {scope.From(ClickHouseSchema.Offsets)} GROUP BY topic, kafka_partition",
            r => result[new(r.String(0), r.Int32(1))] = r.Int64(2));
        return result;
    }

    public IReadOnlyDictionary<SenderKey, ulong> Sequences(string tenant)
    {
        var scope = Scope(tenant);
        var result = new Dictionary<SenderKey, ulong>();
        Read(scope, $"SELECT device, sender, max(sequence) {scope.From(ClickHouseSchema.Sequences)} GROUP BY device, sender",
            r => result[new(r.String(0), r.String(1))] = r.UInt64(2));
        return result;
    }

    public void Write(TenantChanges changes)
    {
        var scope = Scope(changes.Tenant, writing: true);
        try
        {
            EnsureTables(scope);
            string flush = NewFlushId();
            Insert(scope, ClickHouseSchema.Flushes, rows => scope.Row(rows).Text(flush).Number(1).EndRow());
            InsertFlush(scope, changes, flush);
            Insert(scope, ClickHouseSchema.Flushes, rows => scope.Row(rows).Text(flush).Number(-1).EndRow());
            _placed[changes.Tenant] = (scope.Isolation, Environment.TickCount64);
        }
        catch (ClickHouseRefusedException e)
        {
            if (e.Code is ClickHouseRefusedException.UnknownDatabase or ClickHouseRefusedException.UnknownTable)
            {
                // Dropped behind this process's back (a tenant removed, a database restored):
                // the projector's next attempt makes the tables again.
                _created.TryRemove(scope.Database, out _);
            }

            throw new StoreUnavailableException($"writing tenant {changes.Tenant}'s projections failed: {e.Message}", e);
        }
    }

    public bool HasDevice(string tenant, string device)
    {
        var scope = Scope(tenant);
        string d = ClickHouseSql.Quote(device);
        bool found = false;
        Read(scope, $"""
            SELECT count() FROM (
                SELECT 1 {scope.From(ClickHouseSchema.Devices)} AND device = {d} LIMIT 1
                UNION ALL
                SELECT 1 {scope.From(ClickHouseSchema.Alerts)} AND device = {d} LIMIT 1)
            """,
            r => found = r.Int64(0) > 0);
        return found;
    }

    public IReadOnlyList<DeviceState> FleetState(string tenant, IReadOnlyCollection<string> devices, string afterDevice, int limit)
    {
        var scope = Scope(tenant);
        var states = new List<DeviceState>();
        var byDevice = new Dictionary<string, DeviceState>(StringComparer.Ordinal);
        string only = devices.Count == 0 ? "" : $" AND device IN ({QuoteAll(devices)})";
        Read(scope, $"""
            SELECT device, max(last_seen_ms), max(position_ms), argMax(latitude_deg, (position_ms, flush)), argMax(longitude_deg, (position_ms, flush)),
                argMax(speed_kmh, (position_ms, flush)), argMax(heading_deg, (position_ms, flush)), max(fuel_ms), argMax(fuel_percent, (fuel_ms, flush))
            {scope.From(ClickHouseSchema.Devices)} AND device > {ClickHouseSql.Quote(afterDevice)}{only}
            GROUP BY device ORDER BY device LIMIT {limit}
            """,
            r =>
            {
                var state = new DeviceState { DeviceId = r.String(0), LastSeenUnixMs = r.Int64(1) };
                if (r.Int64(2) > 0)
                {
                    state.Position = new TrackPoint { TimeUnixMs = r.Int64(2), LatitudeDeg = r.Double(3), LongitudeDeg = r.Double(4), SpeedKmh = r.Single(5), HeadingDeg = r.Single(6) };
                }

                if (r.Int64(7) > 0)
                {
                    state.Fuel = new FuelLevel { TimeUnixMs = r.Int64(7), LevelPercent = r.Single(8) };
                }

                states.Add(state);
                byDevice[state.DeviceId] = state;
            });
        if (states.Count == 0)
        {
            return states;
        }

        string page = QuoteAll(byDevice.Keys);
        Read(scope, $"""
            SELECT device, zone, argMax(temperature_c, (time_ms, flush)), max(time_ms)
            {scope.From(ClickHouseSchema.ZoneTemperatures)} AND device IN ({page})
            GROUP BY device, zone ORDER BY device, zone
            """,
            r => byDevice[r.String(0)].Temperatures.Add(new ZoneTemperature { Zone = (uint)r.Int64(1), TemperatureC = r.Single(2), TimeUnixMs = r.Int64(3) }));
        Read(scope, $"""
            SELECT {AlertColumns} FROM (
                SELECT alert_id, {AlertAggregates} {scope.From(ClickHouseSchema.Alerts)} AND device IN ({page}) GROUP BY alert_id)
            WHERE a_state = {(int)AlertState.Firing} ORDER BY a_device, a_start
            """,
            r => byDevice[r.String(1)].FiringAlerts.Add(ReadAlert(tenant, r)));
        Acknowledge(scope, states.SelectMany(static s => s.FiringAlerts));
        return states;
    }

    public IReadOnlyList<TrackPoint> Track(string tenant, string device, long fromMs, long toMs, long afterMs, int limit)
    {
        var scope = Scope(tenant);
        var points = new List<TrackPoint>();
        Read(scope, $"""
            SELECT time_ms, latitude_deg, longitude_deg, speed_kmh, heading_deg
            {scope.From(ClickHouseSchema.Positions)} AND device = {ClickHouseSql.Quote(device)}
                AND time_ms >= {ClickHouseSql.Number(fromMs)} AND time_ms < {ClickHouseSql.Number(toMs)} AND time_ms > {ClickHouseSql.Number(afterMs)}
            ORDER BY time_ms LIMIT {limit}
            """,
            r => points.Add(new TrackPoint { TimeUnixMs = r.Int64(0), LatitudeDeg = r.Double(1), LongitudeDeg = r.Double(2), SpeedKmh = r.Single(3), HeadingDeg = r.Single(4) }));
        return points;
    }

    public IReadOnlyList<Contracts.Fleet.V1.Rollup> Rollups(string tenant, string device, string sensor, uint zone, Resolution resolution, long fromMs, long toMs, long afterMs, int limit)
    {
        var scope = Scope(tenant);
        string table = resolution == Resolution.Hour ? ClickHouseSchema.RollupsHour : ClickHouseSchema.RollupsMinute;
        var rollups = new List<Contracts.Fleet.V1.Rollup>();
        Read(scope, $"""
            SELECT start_ms, min(min), max(max), sum(sum) / sum(count), sum(count), argMax(last, (last_ms, flush)), max(last_ms)
            {scope.From(table)} AND device = {ClickHouseSql.Quote(device)} AND sensor = {ClickHouseSql.Quote(sensor)} AND zone = {ClickHouseSql.Number(zone)}
                AND start_ms >= {ClickHouseSql.Number(fromMs)} AND start_ms < {ClickHouseSql.Number(toMs)} AND start_ms > {ClickHouseSql.Number(afterMs)}
            GROUP BY start_ms ORDER BY start_ms LIMIT {limit}
            """,
            r => rollups.Add(new Contracts.Fleet.V1.Rollup
            {
                StartUnixMs = r.Int64(0), Min = r.Single(1), Max = r.Single(2), Mean = r.Double(3), Count = (ulong)r.Int64(4), Last = r.Single(5), LastTimeUnixMs = r.Int64(6),
            }));
        return rollups;
    }

    public IReadOnlyList<Alert> Alerts(string tenant, AlertFilter filter, AlertCursor? after, int limit)
    {
        var scope = Scope(tenant);

        // An alert's device and rule never change, so they narrow the rows before they are merged;
        // its state and times are known only after.
        var rows = new StringBuilder();
        if (filter.Device.Length > 0)
        {
            rows.Append(CultureInfo.InvariantCulture, $" AND device = {ClickHouseSql.Quote(filter.Device)}");
        }

        if (filter.Rule.Length > 0)
        {
            rows.Append(CultureInfo.InvariantCulture, $" AND rule = {ClickHouseSql.Quote(filter.Rule)}");
        }

        if (filter.AlertIds is { } ids)
        {
            rows.Append(CultureInfo.InvariantCulture, $" AND alert_id IN ({(ids.Count == 0 ? "''" : QuoteAll(ids))})");
        }

        var merged = new List<string> { "1" };
        if (filter.State != AlertState.Unspecified)
        {
            merged.Add($"a_state = {(int)filter.State}");
        }

        if (filter.ToMs > 0)
        {
            merged.Add($"a_start >= {ClickHouseSql.Number(filter.FromMs)} AND a_start < {ClickHouseSql.Number(filter.ToMs)}");
        }

        if (after is { } cursor)
        {
            string start = ClickHouseSql.Number(cursor.StartMs);
            merged.Add($"(a_start < {start} OR (a_start = {start} AND alert_id > {ClickHouseSql.Quote(cursor.AlertId)}))");
        }

        var alerts = new List<Alert>();
        Read(scope, $"""
            SELECT {AlertColumns} FROM (
                SELECT alert_id, {AlertAggregates} {scope.From(ClickHouseSchema.Alerts)}{rows} GROUP BY alert_id)
            WHERE {string.Join(" AND ", merged)} ORDER BY a_start DESC, alert_id LIMIT {limit}
            """,
            r => alerts.Add(ReadAlert(tenant, r)));
        Acknowledge(scope, alerts);
        return alerts;
    }

    public void Ping()
    {
        try
        {
            _connection.Select("SELECT 1", static _ => { });
        }
        catch (ClickHouseRefusedException e)
        {
            throw new StoreUnavailableException(e.Message, e);
        }
    }

    public IReadOnlyList<string> Tenants()
    {
        var tenants = new SortedSet<string>(StringComparer.Ordinal);

        // Both layouts, whatever the settings say now: a tenant is where its projections were written.
        // Tenant ids hold no '_', so a database name maps back to exactly one tenant.
        string prefix = _database + "_";
        Select("listing the tenants", $"SELECT name FROM system.databases WHERE startsWith(name, {ClickHouseSql.Quote(prefix)})", r =>
        {
            string tenant = r.String(0)[prefix.Length..].Replace('_', '-');
            if (Pki.DeviceIdentity.IsValidTenant(tenant))
            {
                tenants.Add(tenant);
            }
        });

        // Across tenants on purpose: the operator's view (retention, deletion), never a caller's.
        Select("listing the tenants", $"SELECT DISTINCT tenant FROM {_database}.{ClickHouseSchema.Offsets}", r => tenants.Add(r.String(0)));
        Select("listing the tenants", $"SELECT DISTINCT tenant FROM {_database}.{ClickHouseSchema.Retention}", r => tenants.Add(r.String(0)));
        return [.. tenants];
    }

    public RetentionDays? Retention(string tenant)
    {
        var scope = Scope(tenant);
        RetentionDays? days = null;
        Read(scope, $"SELECT positions_days, rollups_days, alerts_days {scope.From(ClickHouseSchema.Retention)} ORDER BY flush DESC LIMIT 1",
            r => days = new RetentionDays(r.Int32(0), r.Int32(1), r.Int32(2)));
        return days;
    }

    public void SetRetention(string tenant, RetentionDays days)
    {
        // A flush of its own, so it is all or nothing like every other write; the newest one wins.
        var scope = Scope(tenant, writing: true);
        Committed(scope, $"setting tenant {tenant}'s retention", flush =>
            Insert(scope, ClickHouseSchema.Retention, rows => scope.Row(rows).Number(days.Positions).Number(days.Rollups).Number(days.Alerts).Text(flush).EndRow()));
    }

    public RowCounts ApplyRetention(string tenant, long positionsBeforeMs, long rollupsBeforeMs, long alertsBeforeMs)
    {
        var scope = Scope(tenant);
        string resolvedBefore = $"alert_id IN (SELECT alert_id {scope.From(ClickHouseSchema.Alerts)} GROUP BY alert_id "
            + $"HAVING max(state) = 2 AND argMax(start_ms, {AlertVersion}) < {alertsBeforeMs})";
        var counts = new RowCounts(
            Count(scope, ClickHouseSchema.Positions, $"time_ms < {positionsBeforeMs}"),
            Count(scope, ClickHouseSchema.RollupsMinute, $"start_ms < {rollupsBeforeMs}") + Count(scope, ClickHouseSchema.RollupsHour, $"start_ms < {rollupsBeforeMs}"),
            CountDistinct(scope, ClickHouseSchema.Alerts, "alert_id", resolvedBefore),
            0);
        if (counts.Total == 0)
        {
            return counts;
        }

        // ALTER ... DELETE (a mutation: 18.16 has no TTL and no lightweight delete), waited for, so
        // the rows are gone when this returns. A dispatcher's note goes with its alert: first the
        // acknowledgements of the alerts about to go, and old ones whose alert is not here, while
        // their alerts can still be looked up (mutations of two tables run in no set order).
        Mutate(scope, $"deleting tenant {tenant}'s old acknowledgements",
            (ClickHouseSchema.Acknowledgements, $"{resolvedBefore} OR (ack_ms < {alertsBeforeMs} AND alert_id NOT IN (SELECT alert_id {scope.From(ClickHouseSchema.Alerts)}))"));
        Mutate(scope, $"deleting tenant {tenant}'s old history",
            (ClickHouseSchema.Positions, $"time_ms < {positionsBeforeMs}"),
            (ClickHouseSchema.RollupsMinute, $"start_ms < {rollupsBeforeMs}"),
            (ClickHouseSchema.RollupsHour, $"start_ms < {rollupsBeforeMs}"),
            (ClickHouseSchema.Alerts, resolvedBefore));
        return counts;
    }

    /// <summary>Nothing to do: the positions table is a MergeTree ordered by (device, time_ms), whose merges keep each part in a track query's order.</summary>
    public TrackCompaction CompactTrack(string tenant, long nowMs) => default;

    public RowCounts DeleteTenant(string tenant)
    {
        var scope = Scope(tenant);
        var counts = new RowCounts(
            Count(scope, ClickHouseSchema.Positions, "1"),
            Count(scope, ClickHouseSchema.RollupsMinute, "1") + Count(scope, ClickHouseSchema.RollupsHour, "1"),
            CountDistinct(scope, ClickHouseSchema.Alerts, "alert_id", "1"),
            CountDistinct(scope, ClickHouseSchema.Devices, "device", "1"));
        try
        {
            if (scope.Isolation == ClickHouseIsolation.DatabasePerTenant)
            {
                _connection.Execute($"DROP DATABASE IF EXISTS {scope.Database}");
                _created.TryRemove(scope.Database, out _);
            }
            else
            {
                Mutate(scope, $"deleting tenant {tenant}", [.. ClickHouseSchema.Tables.Select(t => (t.Name, "1"))]);
            }

            _placed.TryRemove(tenant, out _);
        }
        catch (ClickHouseRefusedException e)
        {
            throw new StoreUnavailableException($"deleting tenant {tenant} failed: {e.Message}", e);
        }

        return counts;
    }

    /// <summary>Writes a flush: its +1 row, what <paramref name="write"/> inserts, its -1 row (the commit).</summary>
    private void Committed(TenantScope scope, string what, Action<string> write)
    {
        try
        {
            EnsureTables(scope);
            string flush = NewFlushId();
            Insert(scope, ClickHouseSchema.Flushes, rows => scope.Row(rows).Text(flush).Number(1).EndRow());
            write(flush);
            Insert(scope, ClickHouseSchema.Flushes, rows => scope.Row(rows).Text(flush).Number(-1).EndRow());
            _placed[scope.Tenant] = (scope.Isolation, Environment.TickCount64);
        }
        catch (ClickHouseRefusedException e)
        {
            throw new StoreUnavailableException($"{what} failed: {e.Message}", e);
        }
    }

    private long Count(TenantScope scope, string table, string condition)
    {
        long count = 0;
        Read(scope, $"SELECT count() {scope.From(table)} AND {condition}", r => count = r.Int64(0));
        return count;
    }

    private long CountDistinct(TenantScope scope, string table, string column, string condition)
    {
        long count = 0;
        Read(scope, $"SELECT uniqExact({column}) {scope.From(table)} AND {condition}", r => count = r.Int64(0));
        return count;
    }

    /// <summary>Runs ALTER TABLE ... DELETE on each table (only the tenant's rows: <see cref="TenantScope.DeleteFrom"/>) and waits until ClickHouse has applied them all.</summary>
    private void Mutate(TenantScope scope, string what, params (string Table, string Condition)[] deletes)
    {
        try
        {
            foreach (var (table, condition) in deletes)
            {
                _connection.Execute(scope.DeleteFrom(table, condition));
            }

            var deadline = DateTime.UtcNow + MutationTimeout;
            while (true)
            {
                long pending = 0;
                _connection.Select($"SELECT count() FROM system.mutations WHERE database = {ClickHouseSql.Quote(scope.Database)} AND is_done = 0", r => pending = r.Int64(0));
                if (pending == 0)
                {
                    return;
                }

                if (DateTime.UtcNow > deadline)
                {
                    throw new StoreUnavailableException($"{what}: ClickHouse had not applied the deletes after {MutationTimeout.TotalSeconds:0} s (see system.mutations)");
                }

                Thread.Sleep(100);
            }
        }
        catch (ClickHouseRefusedException e) when (e.Code is ClickHouseRefusedException.UnknownDatabase or ClickHouseRefusedException.UnknownTable)
        {
            // Nothing of the tenant was ever written.
        }
        catch (ClickHouseRefusedException e)
        {
            throw new StoreUnavailableException($"{what} failed: {e.Message}", e);
        }
    }

    public void Dispose()
    {
        if (_ownsConnection)
        {
            _connection.Dispose();
        }
    }

    /// <summary>
    /// Databases named <c>&lt;Database&gt;__rebuild_&lt;tenant&gt;</c>: no tenant's own database, since
    /// a tenant id never starts with <c>-</c>. A rebuild always builds a database of the tenant's own;
    /// a tenant in shared tables can be rebuilt when the registry now gives it a database of its own
    /// (the rebuild moves it), not while it stays in the shared tables, which hold no second version
    /// of one tenant.
    /// </summary>
    public IFleetStore? RebuildSpace(string tenant, out string whyNot)
    {
        if (IsolationOf(tenant, writing: false) == ClickHouseIsolation.SharedTables && Chosen(tenant) == ClickHouseIsolation.SharedTables)
        {
            whyNot = $"they are in ClickHouse tables shared with other tenants, where a second version of one tenant cannot be built beside the live one; "
                + $"the platform operator can give tenant {tenant} a database of its own (the tenant registry's Tenants:{tenant}:Store:Isolation = DatabasePerTenant), and a rebuild then moves it there";
            return null;
        }

        whyNot = "";
        return new ClickHouseFleetStore(_connection, _database + "__rebuild");
    }

    /// <summary>
    /// One <c>RENAME TABLE</c> statement moves every live table of the tenant aside and the rebuilt
    /// one in its place, then the old tables are dropped. ClickHouse runs the renames of one statement
    /// one after another under its lock: a query that reaches a table in the instant between its two
    /// renames finds it missing and reads it as empty, once. A tenant moving out of the shared tables
    /// gets its database (the rebuilt tables renamed into it), from which it is read at once, and then
    /// its rows are deleted from the shared tables.
    /// </summary>
    public void Promote(string tenant, IFleetStore space)
    {
        if (space is not ClickHouseFleetStore rebuilt || rebuilt._isolation != ClickHouseIsolation.DatabasePerTenant)
        {
            throw new ArgumentException("not a ClickHouse rebuild space", nameof(space));
        }

        var live = Scope(tenant);
        var next = rebuilt.Scope(tenant);
        var own = new TenantScope(ClickHouseIsolation.DatabasePerTenant, _database, tenant);
        string replaced = $"{_database}__replaced_{tenant.Replace('-', '_')}";
        try
        {
            rebuilt.EnsureTables(next);
            if (live.Isolation == ClickHouseIsolation.SharedTables)
            {
                _connection.Execute($"CREATE DATABASE IF NOT EXISTS {own.Database}");
                _connection.Execute("RENAME TABLE " + string.Join(", ", ClickHouseSchema.Tables.Select(t => $"{next.Database}.{t.Name} TO {own.Database}.{t.Name}")));
                _created[own.Database] = 0;
                _placed[tenant] = (ClickHouseIsolation.DatabasePerTenant, Environment.TickCount64);
                Mutate(live, $"removing tenant {tenant} from the shared tables", [.. ClickHouseSchema.Tables.Select(t => (t.Name, "1"))]);
            }
            else
            {
                EnsureTables(live);
                _connection.Execute($"DROP DATABASE IF EXISTS {replaced}");
                _connection.Execute($"CREATE DATABASE {replaced}");
                _connection.Execute("RENAME TABLE " + string.Join(", ", ClickHouseSchema.Tables.Select(t =>
                    $"{live.Database}.{t.Name} TO {replaced}.{t.Name}, {next.Database}.{t.Name} TO {live.Database}.{t.Name}")));
                _connection.Execute($"DROP DATABASE {replaced}");
            }

            _connection.Execute($"DROP DATABASE IF EXISTS {next.Database}");
            rebuilt._created.TryRemove(next.Database, out _);
        }
        catch (ClickHouseRefusedException e)
        {
            throw new StoreUnavailableException($"switching tenant {tenant} to its rebuilt projections failed: {e.Message}", e);
        }
    }

    /// <summary>Ids that sort by the time they were made (for ties between flushes) and never repeat.</summary>
    private static string NewFlushId() =>
        DateTime.UtcNow.ToString("yyyyMMddHHmmssfffffff", CultureInfo.InvariantCulture) + "-" + Guid.NewGuid().ToString("N");

    private static string QuoteAll(IEnumerable<string> values) => string.Join(", ", values.Select(ClickHouseSql.Quote));

    private static Alert ReadAlert(string tenant, ResultRow r)
    {
        var alert = new Alert
        {
            AlertId = r.String(0),
            TenantId = tenant,
            DeviceId = r.String(1),
            RuleId = r.String(2),
            Severity = (Severity)r.Int32(3),
            State = (AlertState)r.Int32(4),
            StartTimeUnixMs = r.Int64(5),
            EndTimeUnixMs = r.Int64(6),
            TriggerValue = r.Double(7),
            TriggerUnit = r.String(8),
            Message = r.String(9),
            SourceSequence = r.UInt64(14),
        };
        if (r.Int64(10) > 0)
        {
            alert.LastPosition = new Position { TimeUnixMs = r.Int64(10), LatitudeDeg = r.Double(11), LongitudeDeg = r.Double(12), SpeedKmh = r.Single(13) };
        }

        return alert;
    }

    private TenantScope Scope(string tenant, bool writing = false) => new(IsolationOf(tenant, writing), _database, tenant);

    /// <summary>What the registry chooses for the tenant, or the store's default.</summary>
    private ClickHouseIsolation Chosen(string tenant) => _registry?.Invoke(tenant) ?? _isolation;

    /// <summary>
    /// Where the tenant's projections are: in a database of its own when it exists, in the shared
    /// tables when they hold its offsets or retention, and otherwise (nothing written yet) where the
    /// registry chooses. With one layout for every tenant (no registry) nothing is looked up. A
    /// tenant found in a database of its own stays there; one found in the shared tables is looked
    /// for again after <see cref="SharedRecheckMs"/>, and before every write, so that when another
    /// instance's rebuild has moved it into its own database, this one reads and writes it there.
    /// </summary>
    private ClickHouseIsolation IsolationOf(string tenant, bool writing)
    {
        if (_registry is null)
        {
            return _isolation;
        }

        bool seenShared = false;
        if (_placed.TryGetValue(tenant, out var seen))
        {
            if (seen.Isolation == ClickHouseIsolation.DatabasePerTenant || (!writing && Environment.TickCount64 - seen.SeenMs < SharedRecheckMs))
            {
                return seen.Isolation;
            }

            // Found in the shared tables before: from there it can only have moved into a database
            // of its own, so that is the one thing to look for.
            seenShared = true;
        }

        var own = new TenantScope(ClickHouseIsolation.DatabasePerTenant, _database, tenant);
        var shared = new TenantScope(ClickHouseIsolation.SharedTables, _database, tenant);
        long databases = 0, sharedRows = seenShared ? 1 : 0;
        Select($"finding tenant {tenant}'s projections", $"SELECT count() FROM system.databases WHERE name = {ClickHouseSql.Quote(own.Database)}", r => databases = r.Int64(0));
        if (databases == 0 && !seenShared)
        {
            Select($"finding tenant {tenant}'s projections", $"""
                SELECT count() FROM (
                    SELECT 1 {shared.From(ClickHouseSchema.Offsets)} LIMIT 1
                    UNION ALL
                    SELECT 1 {shared.From(ClickHouseSchema.Retention)} LIMIT 1)
                """, r => sharedRows = r.Int64(0));
        }

        if (databases > 0 || sharedRows > 0)
        {
            var placed = databases > 0 ? ClickHouseIsolation.DatabasePerTenant : ClickHouseIsolation.SharedTables;
            _placed[tenant] = (placed, Environment.TickCount64);
            return placed;
        }

        return Chosen(tenant);
    }

    /// <summary>
    /// Runs a query (<paramref name="what"/> it does, for the refusal's message): a database or table
    /// that does not exist reads as nothing and gets nothing created; any other refusal is the store's.
    /// </summary>
    private void Select(string what, string sql, Action<ResultRow> row)
    {
        try
        {
            _connection.Select(sql, row);
        }
        catch (ClickHouseRefusedException e) when (e.Code is ClickHouseRefusedException.UnknownDatabase or ClickHouseRefusedException.UnknownTable)
        {
            // Nothing written there yet.
        }
        catch (ClickHouseRefusedException e)
        {
            throw new StoreUnavailableException($"{what} failed: {e.Message}", e);
        }
    }

    /// <summary>
    /// Attaches each alert's acknowledgement (the later of several), read in one query for them all
    /// rather than by a join: 18.16's joins are the old USING-only kind.
    /// </summary>
    private void Acknowledge(TenantScope scope, IEnumerable<Alert> alerts)
    {
        var byId = new Dictionary<string, Alert>(StringComparer.Ordinal);
        foreach (var alert in alerts)
        {
            byId[alert.AlertId] = alert;
        }

        if (byId.Count == 0)
        {
            return;
        }

        Read(scope, $"""
            SELECT alert_id, argMax(ack_by, (ack_ms, flush)), argMax(ack_note, (ack_ms, flush)), max(ack_ms)
            {scope.From(ClickHouseSchema.Acknowledgements)} AND alert_id IN ({QuoteAll(byId.Keys)}) GROUP BY alert_id
            """,
            r => byId[r.String(0)].Acknowledgement = new Acknowledgement { By = r.String(1), Note = r.String(2), TimeUnixMs = r.Int64(3) });
    }

    /// <summary>A flush's rows, each tagged with <paramref name="flush"/>; invisible until its commit row is written.</summary>
    private void InsertFlush(TenantScope scope, TenantChanges changes, string flush)
    {
        Insert(scope, ClickHouseSchema.Positions, rows =>
        {
            foreach (var p in changes.Positions)
            {
                scope.Row(rows).Text(p.Device).Number(p.TimeMs).Number(p.LatitudeDeg).Number(p.LongitudeDeg).Number(p.SpeedKmh).Number(p.HeadingDeg).Text(flush).EndRow();
            }
        });
        InsertRollups(scope, ClickHouseSchema.RollupsMinute, changes.Minutes, flush);
        InsertRollups(scope, ClickHouseSchema.RollupsHour, changes.Hours, flush);
        Insert(scope, ClickHouseSchema.Devices, rows =>
        {
            foreach (var (device, latest) in changes.Devices)
            {
                var p = latest.Position ?? default;
                scope.Row(rows).Text(device).Number(latest.LastSeenMs)
                    .Number(p.TimeMs).Number(p.LatitudeDeg).Number(p.LongitudeDeg).Number(p.SpeedKmh).Number(p.HeadingDeg)
                    .Number(latest.FuelMs).Number(latest.FuelPercent).Text(flush).EndRow();
            }
        });
        Insert(scope, ClickHouseSchema.ZoneTemperatures, rows =>
        {
            foreach (var (device, latest) in changes.Devices)
            {
                foreach (var (zone, (celsius, time)) in latest.Temperatures)
                {
                    scope.Row(rows).Text(device).Number(zone).Number(time).Number(celsius).Text(flush).EndRow();
                }
            }
        });
        Insert(scope, ClickHouseSchema.Alerts, rows =>
        {
            foreach (var alert in changes.Alerts.Values)
            {
                var position = alert.LastPosition;
                scope.Row(rows).Text(alert.AlertId).Text(alert.DeviceId).Text(alert.RuleId).Number((int)alert.Severity).Number((int)alert.State)
                    .Number(alert.StartTimeUnixMs).Number(alert.EndTimeUnixMs).Number(alert.TriggerValue).Text(alert.TriggerUnit).Text(alert.Message)
                    .Number(position?.TimeUnixMs ?? 0L).Number(position?.LatitudeDeg ?? 0d).Number(position?.LongitudeDeg ?? 0d).Number(position?.SpeedKmh ?? 0f)
                    .Number(alert.SourceSequence).Text(flush).EndRow();
            }
        });
        Insert(scope, ClickHouseSchema.Acknowledgements, rows =>
        {
            foreach (var ack in changes.Acknowledgements.Values)
            {
                scope.Row(rows).Text(ack.AlertId).Text(ack.Device).Text(ack.By).Text(ack.Note).Number(ack.TimeMs).Text(flush).EndRow();
            }
        });
        Insert(scope, ClickHouseSchema.Sequences, rows =>
        {
            foreach (var ((device, sender), sequence) in changes.Sequences)
            {
                scope.Row(rows).Text(device).Text(sender).Number(sequence).Text(flush).EndRow();
            }
        });
        Insert(scope, ClickHouseSchema.Offsets, rows =>
        {
            foreach (var ((topic, partition), next) in changes.Offsets)
            {
                scope.Row(rows).Text(topic).Number(partition).Number(next).Text(flush).EndRow();
            }
        });
    }

    private void InsertRollups(TenantScope scope, string table, Dictionary<RollupKey, RollupCell> cells, string flush) =>
        Insert(scope, table, rows =>
        {
            foreach (var (key, cell) in cells)
            {
                scope.Row(rows).Text(key.Device).Text(key.Sensor).Number(key.Zone).Number(key.StartMs)
                    .Number(cell.Min).Number(cell.Max).Number(cell.Sum).Number(cell.Count).Number(cell.Last).Number(cell.LastMs).Text(flush).EndRow();
            }
        });

    /// <summary>One insert of the rows <paramref name="write"/> adds; none when it adds none.</summary>
    private void Insert(TenantScope scope, string table, Action<TabSeparatedRows> write)
    {
        var rows = new TabSeparatedRows();
        write(rows);
        if (rows.Count > 0)
        {
            _connection.Insert(scope.InsertInto(table), rows.ToString());
        }
    }

    /// <summary>Creates the tenant's database and tables the first time this process writes to them (each statement is a no-op when they exist).</summary>
    private void EnsureTables(TenantScope scope)
    {
        if (_created.ContainsKey(scope.Database))
        {
            return;
        }

        lock (_creating)
        {
            if (_created.ContainsKey(scope.Database))
            {
                return;
            }

            foreach (string statement in scope.CreateStatements())
            {
                _connection.Execute(statement);
            }

            _created[scope.Database] = 0;
        }
    }

    /// <summary>
    /// Runs a query of the tenant's tables. A database or table that does not exist is a tenant
    /// that has never been written, which reads as empty (as the interface promises) and gets
    /// nothing created; any other refusal is the store's.
    /// </summary>
    private void Read(TenantScope scope, string sql, Action<ResultRow> row) => Select($"reading tenant {scope.Tenant}'s projections", sql, row);
}
