using System.Diagnostics;
using System.Diagnostics.Metrics;
using Convoy.Contracts.Alerts.V1;

namespace Convoy.AlertEngine;

/// <summary>The alert engine's instruments (meter <c>Convoy.AlertEngine</c>), tagged by tenant.</summary>
internal sealed class AlertEngineMetrics
{
    public const string MeterName = "Convoy.AlertEngine";

    private readonly Counter<long> _batches;
    private readonly Counter<long> _duplicates;
    private readonly Counter<long> _lateReadings;
    private readonly Counter<long> _alerts;
    private readonly Counter<long> _lateBatches;
    private readonly Counter<long> _aheadBatches;
    private readonly Counter<long> _ruleReloads;

    public AlertEngineMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _batches = meter.CreateCounter<long>("convoy.alertengine.batches.evaluated", "{batch}", "Telemetry batches run through the rules");
        _duplicates = meter.CreateCounter<long>("convoy.alertengine.batches.duplicate", "{batch}", "Batches dropped because their sequence was already evaluated");
        _lateReadings = meter.CreateCounter<long>("convoy.alertengine.readings.late", "{reading}", "Readings older than the last one evaluated for their rule, skipped");
        _alerts = meter.CreateCounter<long>("convoy.alertengine.alerts", "{alert}", "Alert state changes written to Kafka, by state");
        _lateBatches = meter.CreateCounter<long>("convoy.alertengine.batches.late", "{batch}", "Batches older than their device's newest reading minus the allowed lateness, not applied");
        _aheadBatches = meter.CreateCounter<long>("convoy.alertengine.batches.ahead", "{batch}",
            "Batches with a reading further ahead of their receipt than the allowed clock skew, not applied (their device's event time not moved)");
        _ruleReloads = meter.CreateCounter<long>("convoy.alertengine.rules.reloads", "{reload}", "Rule file reloads, by result (applied, rejected)");
    }

    public void Evaluated(string tenant, int lateReadings)
    {
        var tags = new TagList { { "tenant", tenant } };
        _batches.Add(1, tags);
        if (lateReadings > 0)
        {
            _lateReadings.Add(lateReadings, tags);
        }
    }

    public void LateBatch(string tenant, int readings)
    {
        var tags = new TagList { { "tenant", tenant } };
        _lateBatches.Add(1, tags);
        _lateReadings.Add(readings, tags);
    }

    public void AheadBatch(string tenant) => _aheadBatches.Add(1, new TagList { { "tenant", tenant } });

    public void LateReadings(string tenant, int readings)
    {
        if (readings > 0)
        {
            _lateReadings.Add(readings, new TagList { { "tenant", tenant } });
        }
    }

    public void RulesReloaded(string tenant, bool applied) =>
        _ruleReloads.Add(1, new TagList { { "tenant", tenant }, { "result", applied ? "applied" : "rejected" } });

    public void Duplicate(string tenant) => _duplicates.Add(1, new TagList { { "tenant", tenant } });

    public void Alert(string tenant, AlertState state) =>
        _alerts.Add(1, new TagList { { "tenant", tenant }, { "state", state == AlertState.Firing ? "firing" : "resolved" } });
}
