using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Convoy.Collector;

/// <summary>The collector's instruments (meter <c>Convoy.Collector</c>), tagged by tenant.</summary>
internal sealed class CollectorMetrics
{
    public const string MeterName = "Convoy.Collector";

    private readonly Counter<long> _batchesAcknowledged;
    private readonly Counter<long> _readingsAcknowledged;
    private readonly Counter<long> _batchesRefused;
    private readonly UpDownCounter<long> _openStreams;

    public CollectorMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _batchesAcknowledged = meter.CreateCounter<long>("convoy.collector.batches.acknowledged", "{batch}", "Batches confirmed by Kafka and acknowledged to the device");
        _readingsAcknowledged = meter.CreateCounter<long>("convoy.collector.readings.acknowledged", "{reading}", "Readings in acknowledged batches");
        _batchesRefused = meter.CreateCounter<long>("convoy.collector.batches.refused", "{batch}", "Batches refused, by gRPC status");
        _openStreams = meter.CreateUpDownCounter<long>("convoy.collector.streams.open", "{stream}", "Device streams open now");
    }

    public void Acknowledged(string tenant, int batches, long readings)
    {
        var tags = new TagList { { "tenant", tenant } };
        _batchesAcknowledged.Add(batches, tags);
        _readingsAcknowledged.Add(readings, tags);
    }

    public void Refused(string tenant, Grpc.Core.StatusCode status) =>
        _batchesRefused.Add(1, new TagList { { "tenant", tenant }, { "status", status.ToString() } });

    public void StreamOpened(string tenant) => _openStreams.Add(1, new TagList { { "tenant", tenant } });

    public void StreamClosed(string tenant) => _openStreams.Add(-1, new TagList { { "tenant", tenant } });
}
