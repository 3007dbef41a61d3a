namespace Convoy.FleetHistory.Store;

/// <summary>
/// Everything one flush projected for one tenant, written to the store in one transaction with
/// the partition offsets it came from, so the store's position and its rows never disagree.
/// </summary>
internal sealed class TenantChanges
{
    public TenantChanges(string tenant) => Tenant = tenant;

    public string Tenant { get; }

    /// <summary>GPS fixes to append, as the agent sent them.</summary>
    public List<PositionRow> Positions { get; } = [];

    /// <summary>Rollup contributions, one per (device, sensor, zone, bucket) within this flush.</summary>
    public Dictionary<RollupKey, RollupCell> Minutes { get; } = [];

    public Dictionary<RollupKey, RollupCell> Hours { get; } = [];

    /// <summary>The newest of everything per device seen in this flush.</summary>
    public Dictionary<string, DeviceLatest> Devices { get; } = new(StringComparer.Ordinal);

    /// <summary>Alert records (firing or resolved) by alert id; the later state of one alert wins.</summary>
    public Dictionary<string, Contracts.Alerts.V1.Alert> Alerts { get; } = new(StringComparer.Ordinal);

    /// <summary>Acknowledgements (AlertAcknowledged records) by alert id; of two for one alert the later wins.</summary>
    public Dictionary<string, AlertAcknowledgement> Acknowledgements { get; } = new(StringComparer.Ordinal);

    /// <summary>The highest sequence applied per (device, sender) in this flush: a batch at or below the stored mark is a replay.</summary>
    public Dictionary<SenderKey, ulong> Sequences { get; } = [];

    /// <summary>The next offset of each partition this flush read (every record before it is reflected here).</summary>
    public Dictionary<PartitionKey, long> Offsets { get; } = [];

    public int Records { get; set; }

    /// <summary>
    /// Adds an alert record; of two records of one alert the later state wins (resolved over
    /// firing), whatever order they come in. Its device becomes known to the fleet state too.
    /// </summary>
    public void AddAlert(Contracts.Alerts.V1.Alert alert)
    {
        if (!Alerts.TryGetValue(alert.AlertId, out var known) || alert.State >= known.State)
        {
            Alerts[alert.AlertId] = alert;
        }

        if (!Devices.ContainsKey(alert.DeviceId))
        {
            Devices[alert.DeviceId] = new DeviceLatest();
        }
    }

    /// <summary>
    /// Adds an acknowledgement; of two for one alert the later (by time, then by who and note, so
    /// that the order they come in does not matter) wins, as in the stores.
    /// </summary>
    public void AddAcknowledgement(AlertAcknowledgement acknowledgement)
    {
        if (!Acknowledgements.TryGetValue(acknowledgement.AlertId, out var known) || acknowledgement.IsLaterThan(known))
        {
            Acknowledgements[acknowledgement.AlertId] = acknowledgement;
        }
    }

    public bool IsEmpty => Offsets.Count == 0;
}

internal readonly record struct PartitionKey(string Topic, int Partition);

/// <summary>
/// A dispatcher's acknowledgement of an alert, as projected from an AlertAcknowledged record. It is
/// kept by alert id apart from the alert's own row, so one that arrives before its alert (a topic
/// replayed from a point between them, a record written by hand) waits for it rather than being
/// lost, and reads attach it to the alert once both are there.
/// </summary>
internal readonly record struct AlertAcknowledgement(string AlertId, string Device, string By, string Note, long TimeMs)
{
    public bool IsLaterThan(AlertAcknowledgement other) =>
        TimeMs != other.TimeMs ? TimeMs > other.TimeMs
        : string.CompareOrdinal(By, other.By) is var by && by != 0 ? by > 0
        : string.CompareOrdinal(Note, other.Note) >= 0;

    public Contracts.Alerts.V1.Acknowledgement ToMessage() => new() { By = By, Note = Note, TimeUnixMs = TimeMs };
}

internal readonly record struct SenderKey(string Device, string Sender);

/// <summary>A rollup bucket: a device's sensor (and reefer zone) over one minute or hour.</summary>
internal readonly record struct RollupKey(string Device, string Sensor, uint Zone, long StartMs);

/// <summary>One GPS fix of a device.</summary>
internal readonly record struct PositionRow(string Device, long TimeMs, double LatitudeDeg, double LongitudeDeg, float SpeedKmh, float HeadingDeg);

/// <summary>min, max, sum, count and last of the readings in a bucket; mergeable in any order.</summary>
internal struct RollupCell
{
    public float Min;
    public float Max;
    public double Sum;
    public long Count;
    public float Last;
    public long LastMs;

    public static RollupCell Of(float value, long timeMs) => new() { Min = value, Max = value, Sum = value, Count = 1, Last = value, LastMs = timeMs };

    public static RollupCell Summary(float min, float max, double mean, long count, float last, long lastMs) =>
        new() { Min = min, Max = max, Sum = mean * count, Count = count, Last = last, LastMs = lastMs };

    public void Merge(in RollupCell other)
    {
        Min = Math.Min(Min, other.Min);
        Max = Math.Max(Max, other.Max);
        Sum += other.Sum;
        Count += other.Count;
        if (other.LastMs >= LastMs)
        {
            Last = other.Last;
            LastMs = other.LastMs;
        }
    }
}

/// <summary>A device's newest readings within a flush; the store keeps whichever is newer.</summary>
internal sealed class DeviceLatest
{
    public long LastSeenMs;
    public PositionRow? Position;
    public float FuelPercent;
    public long FuelMs;
    public Dictionary<uint, (float Celsius, long TimeMs)> Temperatures { get; } = [];

    public void Seen(long timeMs) => LastSeenMs = Math.Max(LastSeenMs, timeMs);
}
