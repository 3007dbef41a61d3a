using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Convoy.EdgeAgent;

/// <summary>The agent's instruments (meter <c>Convoy.EdgeAgent</c>), tagged by tenant.</summary>
internal sealed class EdgeAgentMetrics
{
    public const string MeterName = "Convoy.EdgeAgent";

    private readonly Counter<long> _readingsSampled;
    private readonly Counter<long> _batchesSent;
    private readonly Counter<long> _batchesAcknowledged;
    private readonly Counter<long> _readingsAcknowledged;
    private readonly Counter<long> _batchesDeadLettered;
    private readonly Counter<long> _gpsImplausible;
    private readonly Counter<long> _gpsTime;
    private readonly Counter<long> _batchesRefused;
    private readonly Counter<long> _reconnects;
    private readonly Counter<long> _mqttMessages;
    private readonly Counter<long> _mqttReconnects;
    private readonly Counter<long> _sensorDuplicates;
    private readonly Counter<long> _readingsDropped;
    private readonly UpDownCounter<long> _uplinkConnected;

    public EdgeAgentMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _readingsSampled = meter.CreateCounter<long>("convoy.edge.readings.sampled", "{reading}", "Readings taken from the sensors, by input (gps, mqtt, simulator)");
        _batchesSent = meter.CreateCounter<long>("convoy.edge.batches.sent", "{batch}", "Batches written to the uplink, resends included");
        _batchesAcknowledged = meter.CreateCounter<long>("convoy.edge.batches.acknowledged", "{batch}", "Batches the collector acknowledged");
        _readingsAcknowledged = meter.CreateCounter<long>("convoy.edge.readings.acknowledged", "{reading}", "Readings in acknowledged batches");
        _batchesDeadLettered = meter.CreateCounter<long>("convoy.edge.batches.dead_lettered", "{batch}", "Batches the collector refused for good (INVALID_ARGUMENT), moved to the dead-letter area");
        _gpsImplausible = meter.CreateCounter<long>("convoy.edge.gps.implausible", "{value}", "GPS values dropped as implausible (a speed above EdgeAgent:Nmea:MaxSpeedKmh), by field");
        _gpsTime = meter.CreateCounter<long>("convoy.edge.gps.time_corrected", "{fix}",
            "GPS fixes whose time was far from the gateway's clock, by correction: week-rollover (moved by a multiple of 1,024 weeks) or receive-time (stamped with the gateway's time)");
        _batchesRefused = meter.CreateCounter<long>("convoy.edge.batches.refused", "{batch}", "Batches not buffered because the collector would refuse their content, by reason");
        _reconnects = meter.CreateCounter<long>("convoy.edge.uplink.reconnects", "{reconnect}", "Uplink streams lost and retried");
        _mqttMessages = meter.CreateCounter<long>("convoy.edge.mqtt.messages", "{message}", "MQTT sensor messages received, by outcome (accepted, ignored, or why refused)");
        _mqttReconnects = meter.CreateCounter<long>("convoy.edge.mqtt.reconnects", "{reconnect}", "Connections to the MQTT broker lost or refused, and retried");
        _sensorDuplicates = meter.CreateCounter<long>("convoy.edge.sensor.readings.duplicate", "{reading}", "Sensor readings dropped because the same sensor already had a reading at that time");
        _uplinkConnected = meter.CreateUpDownCounter<long>("convoy.edge.uplink.connected", "{stream}", "Devices whose uplink stream to a collector is open now");
        _readingsDropped = meter.CreateCounter<long>("convoy.edge.readings.dropped", "{reading}", "Readings dropped unsent to keep the durable buffer within its disk budget, by data (aggregated, excursion)");
    }

    /// <summary>Readings taken from <paramref name="input"/>: <c>gps</c>, <c>mqtt</c> or <c>simulator</c>.</summary>
    public void Sampled(string tenant, string input, int readings) => _readingsSampled.Add(readings, new TagList { { "tenant", tenant }, { "input", input } });

    /// <summary>
    /// Makes the series an alert watches exist at 0 for <paramref name="tenant"/> from the start:
    /// an alert on their increase then sees the first dead-letter or refusal, not a series that
    /// appears already at 1.
    /// </summary>
    public void Announce(string tenant)
    {
        var tags = new TagList { { "tenant", tenant } };
        _batchesDeadLettered.Add(0, tags);
        _reconnects.Add(0, tags);
        _uplinkConnected.Add(0, tags);
        foreach (string reason in Contracts.Telemetry.BatchProblems.All)
        {
            _batchesRefused.Add(0, new TagList { { "tenant", tenant }, { "reason", reason } });
        }
    }

    /// <summary>A device's uplink stream opened (+1) or ended (-1).</summary>
    public void UplinkConnected(string tenant, int change) => _uplinkConnected.Add(change, new TagList { { "tenant", tenant } });

    public void Sent(string tenant) => _batchesSent.Add(1, new TagList { { "tenant", tenant } });

    public void Acknowledged(string tenant, int batches, long readings)
    {
        var tags = new TagList { { "tenant", tenant } };
        _batchesAcknowledged.Add(batches, tags);
        _readingsAcknowledged.Add(readings, tags);
    }

    public void DroppedReadings(string tenant, long aggregated, long excursion)
    {
        if (aggregated > 0)
        {
            _readingsDropped.Add(aggregated, new TagList { { "tenant", tenant }, { "data", "aggregated" } });
        }

        if (excursion > 0)
        {
            _readingsDropped.Add(excursion, new TagList { { "tenant", tenant }, { "data", "excursion" } });
        }
    }

    public void GpsImplausible(string tenant, string field) => _gpsImplausible.Add(1, new TagList { { "tenant", tenant }, { "field", field } });

    public void GpsTimeCorrected(string tenant, string correction) => _gpsTime.Add(1, new TagList { { "tenant", tenant }, { "correction", correction } });

    public void BatchRefused(string tenant, string reason) => _batchesRefused.Add(1, new TagList { { "tenant", tenant }, { "reason", reason } });

    public void DeadLettered(string tenant) => _batchesDeadLettered.Add(1, new TagList { { "tenant", tenant } });

    public void Reconnect(string tenant) => _reconnects.Add(1, new TagList { { "tenant", tenant } });

    /// <summary>One MQTT message's outcome; <paramref name="outcome"/> is one of a fixed set of constant strings.</summary>
    public void MqttMessage(string tenant, string outcome) => _mqttMessages.Add(1, new TagList { { "tenant", tenant }, { "outcome", outcome } });

    public void MqttReconnect(string tenant) => _mqttReconnects.Add(1, new TagList { { "tenant", tenant } });

    public void SensorDuplicates(string tenant, long readings) => _sensorDuplicates.Add(readings, new TagList { { "tenant", tenant } });
}
