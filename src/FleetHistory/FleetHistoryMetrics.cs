using System.Diagnostics;
using System.Diagnostics.Metrics;
using Convoy.FleetHistory.Store;
using Convoy.Kafka;

namespace Convoy.FleetHistory;

/// <summary>The fleet history program's instruments (meter <c>Convoy.FleetHistory</c>).</summary>
internal sealed class FleetHistoryMetrics
{
    public const string MeterName = "Convoy.FleetHistory";

    private readonly Counter<long> _records;
    private readonly Counter<long> _readings;
    private readonly Counter<long> _replays;
    private readonly Counter<long> _writeFailures;
    private readonly Histogram<double> _writeSeconds;
    private readonly Counter<long> _queries;

    /// <param name="meters">where the read side's meter is made.</param>
    /// <param name="lag">the projector's consumer lag per partition, read at each collection.</param>
    /// <param name="store">the store in use: its write-failure series exists at 0 from the start.</param>
    public FleetHistoryMetrics(IMeterFactory meters, ConsumerLag lag, IFleetStore store)
    {
        var meter = meters.Create(MeterName);
        meter.CreateObservableGauge("convoy.fleethistory.consumer.lag", lag.Measure, "{record}",
            "Records of each owned partition not yet written to the store, by topic and partition (as of the last flush)");
        _records = meter.CreateCounter<long>("convoy.fleethistory.records", "{record}", "Kafka records projected, by tenant and kind (telemetry, alerts)");
        _readings = meter.CreateCounter<long>("convoy.fleethistory.readings", "{reading}", "Readings projected, by tenant");
        _replays = meter.CreateCounter<long>("convoy.fleethistory.batches.replayed", "{batch}", "Batches skipped because their (device, sender, sequence) was already projected");
        _writeFailures = meter.CreateCounter<long>("convoy.fleethistory.store.write_failures", "{write}", "Writes the store refused; projection resumes from the store's last position");
        _writeFailures.Add(0, new TagList { { "store", store.Kind } });
        _writeSeconds = meter.CreateHistogram<double>("convoy.fleethistory.store.write.duration", "s", "Time to write one tenant's flush to the store");
        _queries = meter.CreateCounter<long>("convoy.fleethistory.queries", "{query}", "Query API calls, by method and status");
    }

    public void Projected(string tenant, string kind, int readings)
    {
        var tags = new TagList { { "tenant", tenant }, { "kind", kind } };
        _records.Add(1, tags);
        if (readings > 0)
        {
            _readings.Add(readings, new TagList { { "tenant", tenant } });
        }
    }

    public void Replayed(string tenant) => _replays.Add(1, new TagList { { "tenant", tenant } });

    public void WriteFailed(string store) => _writeFailures.Add(1, new TagList { { "store", store } });

    public void Written(string store, TimeSpan elapsed) => _writeSeconds.Record(elapsed.TotalSeconds, new TagList { { "store", store } });

    public void Query(string method, string status) => _queries.Add(1, new TagList { { "method", method }, { "status", status } });
}
