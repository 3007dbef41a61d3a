using Convoy.Contracts.Alerts.V1;
using Convoy.Contracts.Fleet.V1;

namespace Convoy.FleetHistory.Store;

/// <summary>
/// Where the projections live: the embedded store (DuckDB, a file per tenant) or ClickHouse. Every
/// method takes the tenant first and touches that tenant's data only; an unknown tenant reads as
/// empty. Both implementations are run by the same tests.
/// </summary>
/// <remarks>
/// Writes come from one projector thread per partition owner; reads from any number of query
/// threads at once. A write is all or nothing: its rows, the (device, sender) sequence marks and
/// the partition offsets land together, so after a crash the projector resumes exactly after the
/// last write that landed.
/// </remarks>
internal interface IFleetStore : IDisposable
{
    /// <summary>A short name for logs and metrics: <c>duckdb</c> or <c>clickhouse</c>.</summary>
    string Kind { get; }

    /// <summary>Where the projector resumes each partition of the tenant's topics: the next offset to read.</summary>
    IReadOnlyDictionary<PartitionKey, long> Offsets(string tenant);

    /// <summary>The highest sequence applied per (device, sender) of the tenant.</summary>
    IReadOnlyDictionary<SenderKey, ulong> Sequences(string tenant);

    /// <summary>Writes one flush of a tenant atomically; throws <see cref="StoreUnavailableException"/> when the store cannot be reached.</summary>
    void Write(TenantChanges changes);

    /// <summary>Whether the tenant has this device (any reading or alert of it was projected).</summary>
    bool HasDevice(string tenant, string device);

    /// <summary>Devices by id after <paramref name="afterDevice"/>, at most <paramref name="limit"/>, optionally only those named.</summary>
    IReadOnlyList<DeviceState> FleetState(string tenant, IReadOnlyCollection<string> devices, string afterDevice, int limit);

    /// <summary>The device's fixes with time in [from, to) and after <paramref name="afterMs"/>, in time order, at most <paramref name="limit"/>.</summary>
    IReadOnlyList<TrackPoint> Track(string tenant, string device, long fromMs, long toMs, long afterMs, int limit);

    IReadOnlyList<Contracts.Fleet.V1.Rollup> Rollups(string tenant, string device, string sensor, uint zone, Resolution resolution, long fromMs, long toMs, long afterMs, int limit);

    /// <summary>
    /// Alerts matching the filter, newest start first, strictly after the cursor (start, id) in that
    /// order; each with its acknowledgement, when one was projected.
    /// </summary>
    IReadOnlyList<Alert> Alerts(string tenant, AlertFilter filter, AlertCursor? after, int limit);

    /// <summary>
    /// A cheap read that proves the store answers (readiness); throws <see cref="StoreUnavailableException"/>
    /// saying where the store is and why it cannot be used.
    /// </summary>
    void Ping();

    /// <summary>Every tenant the store holds anything of.</summary>
    IReadOnlyList<string> Tenants();

    /// <summary>The tenant's own retention as an admin set it (0 = the default); null when never set.</summary>
    RetentionDays? Retention(string tenant);

    void SetRetention(string tenant, RetentionDays days);

    /// <summary>Deletes the tenant's fixes, rollups and resolved alerts older than the cutoffs (epoch ms); counts the rows deleted.</summary>
    RowCounts ApplyRetention(string tenant, long positionsBeforeMs, long rollupsBeforeMs, long alertsBeforeMs);

    /// <summary>
    /// Rewrites the tenant's closed periods of fixes in the order a track query reads them (by
    /// device and time), where the store does not keep that order itself; at most a pass an hour.
    /// </summary>
    TrackCompaction CompactTrack(string tenant, long nowMs);

    /// <summary>Removes everything of the tenant (its offsets too); counts what there was.</summary>
    RowCounts DeleteTenant(string tenant);

    /// <summary>
    /// A store of the same kind beside this one, where a rebuild writes <paramref name="tenant"/>'s new projections:
    /// nothing in it is seen by a query of this store until <see cref="Promote"/>. Null, with the
    /// reason in <paramref name="whyNot"/>, when this store cannot keep a second version of that tenant.
    /// </summary>
    IFleetStore? RebuildSpace(string tenant, out string whyNot);

    /// <summary>
    /// Makes the tenant's projections in <paramref name="space"/> (from <see cref="RebuildSpace"/>)
    /// the live ones and drops the old version. A query runs on the old version or on the new one.
    /// The caller keeps writes of the tenant away meanwhile (the projector runs it between flushes).
    /// </summary>
    void Promote(string tenant, IFleetStore space);
}

/// <summary>What a <see cref="IFleetStore.CompactTrack"/> pass did: fixes moved out of arrival order, and fixes of closed days sorted again.</summary>
internal readonly record struct TrackCompaction(long Moved, long Settled);

/// <summary>Days of history kept per kind; 0 = the platform default.</summary>
internal readonly record struct RetentionDays(int Positions, int Rollups, int Alerts);

/// <summary>Rows per kind (deleted, or held).</summary>
internal readonly record struct RowCounts(long Positions, long Rollups, long Alerts, long Devices)
{
    public long Total => Positions + Rollups + Alerts + Devices;
}

/// <summary>Which alerts to list; <paramref name="AlertIds"/> given = those alerts only.</summary>
internal sealed record AlertFilter(string Device, string Rule, AlertState State, long FromMs, long ToMs, IReadOnlyCollection<string>? AlertIds = null);

/// <summary>Where a page of alerts ended: the last alert's start time and id.</summary>
internal readonly record struct AlertCursor(long StartMs, string AlertId);

/// <summary>The store cannot be reached or refused the operation for reasons of its own (not the caller's).</summary>
internal sealed class StoreUnavailableException : Exception
{
    public StoreUnavailableException(string message, Exception? inner = null) : base(message, inner) { }
}
