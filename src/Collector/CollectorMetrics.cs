using System.Diagnostics;
using System.Diagnostics.Metrics;
using Convoy.Collector.Tenancy;
using Convoy.Tenancy;

namespace Convoy.Collector;

/// <summary>The collector's instruments (meter <c>Convoy.Collector</c>), tagged by tenant.</summary>
internal sealed class CollectorMetrics : IDisposable
{
    public const string MeterName = "Convoy.Collector";

    private readonly Counter<long> _batchesAcknowledged;
    private readonly Counter<long> _readingsAcknowledged;
    private readonly Counter<long> _batchesRefused;
    private readonly UpDownCounter<long> _openStreams;
    private readonly Counter<long> _streamsReplaced;
    private readonly Counter<long> _bytesReceived;
    private readonly UpDownCounter<long> _inFlight;
    private readonly UpDownCounter<long> _bytesInFlight;
    private readonly Histogram<double> _produceLatency;
    private readonly Counter<long> _kafkaErrors;
    private readonly Counter<long> _accessRefused;
    private readonly UpDownCounter<long> _alertWatches;
    private readonly Counter<long> _alertsWatched;
    private readonly TenantRegistry? _tenants;

    /// <param name="meters">where the collector's meter is made.</param>
    /// <param name="tenants">the registry whose tenants get their refusal series at 0 from the start; null in unit tests of one part.</param>
    public CollectorMetrics(IMeterFactory meters, TenantRegistry? tenants = null)
    {
        var meter = meters.Create(MeterName);
        _batchesAcknowledged = meter.CreateCounter<long>("convoy.collector.batches.acknowledged", "{batch}", "Batches confirmed by Kafka and acknowledged to the device");
        _readingsAcknowledged = meter.CreateCounter<long>("convoy.collector.readings.acknowledged", "{reading}", "Readings in acknowledged batches");
        _batchesRefused = meter.CreateCounter<long>("convoy.collector.batches.refused", "{batch}", "Batches and calls refused, by gRPC status and reason");
        _openStreams = meter.CreateUpDownCounter<long>("convoy.collector.streams.open", "{stream}", "Device streams open now");
        _streamsReplaced = meter.CreateCounter<long>("convoy.collector.streams.replaced", "{stream}", "Device streams ended because a newer stream of the same device took over");
        _bytesReceived = meter.CreateCounter<long>("convoy.collector.bytes.received", "By", "Bytes of valid batches accepted for Kafka");
        _inFlight = meter.CreateUpDownCounter<long>("convoy.collector.batches.in_flight", "{batch}", "Batches written to Kafka and not yet confirmed");
        _bytesInFlight = meter.CreateUpDownCounter<long>("convoy.collector.bytes.in_flight", "By", "Bytes of batches written to Kafka and not yet confirmed (bounded per tenant by MaxInFlightBytes)");
        _produceLatency = meter.CreateHistogram<double>("convoy.collector.kafka.produce.duration", "s", "From produce to Kafka's delivery report",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 5, 30] });
        _accessRefused = meter.CreateCounter<long>("convoy.collector.access.refused", "{refusal}",
            "Refused authentications and authorizations, by reason (no-credentials, untrusted-certificate, revoked-certificate, no-identity, ca-of-another-tenant, token-*, missing-role, device-not-allowed, tenant-not-registered, tenant-disabled, wrong-device, wrong-tenant)");
        _alertWatches = meter.CreateUpDownCounter<long>("convoy.collector.alert_watches.open", "{watch}", "WatchAlerts calls open now");
        _alertsWatched = meter.CreateCounter<long>("convoy.collector.alerts.watched", "{alert}", "Alerts sent to WatchAlerts callers");
        _kafkaErrors = meter.CreateCounter<long>("convoy.collector.kafka.errors", "{error}", "Writes Kafka finally refused, by error code");
        if (tenants is not null)
        {
            _tenants = tenants;
            StartRefusalSeries(tenants.Current);
            tenants.Reloaded += StartRefusalSeries;
        }
    }

    /// <summary>
    /// Every refusal series at 0 from the start, so a rate or an alert on a reason works before it
    /// first happens: access refusals per reason (tenant unknown), batch refusals per registered
    /// tenant (tenant unknown when the registry is open), and again for tenants a reload adds.
    /// </summary>
    private void StartRefusalSeries(TenantRegistryOptions registry)
    {
        foreach (string reason in RefusalReasons.Access)
        {
            _accessRefused.Add(0, new TagList { { "tenant", string.Empty }, { "reason", reason } });
        }

        IEnumerable<string> tenants = registry.Tenants.Count > 0 ? registry.Tenants.Keys : [string.Empty];
        foreach (string tenant in tenants)
        {
            foreach (var (reason, status) in RefusalReasons.Batch)
            {
                _batchesRefused.Add(0, new TagList { { "tenant", tenant }, { "status", status.ToString() }, { "reason", reason } });
            }
        }
    }

    public void Acknowledged(string tenant, int batches, long readings)
    {
        var tags = new TagList { { "tenant", tenant } };
        _batchesAcknowledged.Add(batches, tags);
        _readingsAcknowledged.Add(readings, tags);
    }

    /// <summary>A batch or call refused; <paramref name="reason"/> is a short stable label (e.g. time-backwards, over-readings-quota).</summary>
    public void Refused(string tenant, Grpc.Core.StatusCode status, string reason) =>
        _batchesRefused.Add(1, new TagList { { "tenant", tenant }, { "status", status.ToString() }, { "reason", reason } });

    public void Accepted(string tenant, int bytes)
    {
        var tags = new TagList { { "tenant", tenant } };
        _bytesReceived.Add(bytes, tags);
        _inFlight.Add(1, tags);
        _bytesInFlight.Add(bytes, tags);
    }

    public void Delivered(string tenant, int bytes, TimeSpan latency, Confluent.Kafka.ErrorCode error)
    {
        var tags = new TagList { { "tenant", tenant } };
        _inFlight.Add(-1, tags);
        _bytesInFlight.Add(-bytes, tags);
        _produceLatency.Record(latency.TotalSeconds);
        if (error != Confluent.Kafka.ErrorCode.NoError)
        {
            _kafkaErrors.Add(1, new TagList { { "tenant", tenant }, { "error", error.ToString() } });
        }
    }

    /// <summary>An authentication or authorization refused; <paramref name="tenant"/> is empty when unknown.</summary>
    public void AccessRefused(string tenant, string reason) =>
        _accessRefused.Add(1, new TagList { { "tenant", tenant }, { "reason", reason } });

    public void StreamOpened(string tenant) => _openStreams.Add(1, new TagList { { "tenant", tenant } });

    public void StreamReplaced(string tenant) => _streamsReplaced.Add(1, new TagList { { "tenant", tenant } });

    public void StreamClosed(string tenant) => _openStreams.Add(-1, new TagList { { "tenant", tenant } });

    public void AlertWatchOpened(string tenant) => _alertWatches.Add(1, new TagList { { "tenant", tenant } });

    public void AlertWatchClosed(string tenant) => _alertWatches.Add(-1, new TagList { { "tenant", tenant } });

    public void AlertWatched(string tenant) => _alertsWatched.Add(1, new TagList { { "tenant", tenant } });

    public void Dispose()
    {
        if (_tenants is not null)
        {
            _tenants.Reloaded -= StartRefusalSeries;
        }
    }
}
