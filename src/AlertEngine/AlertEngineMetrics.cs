using System.Diagnostics;
using System.Diagnostics.Metrics;
using Convoy.AlertEngine.Rules;
using Convoy.Contracts.Alerts.V1;
using Convoy.Kafka;

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
    private readonly Histogram<double> _evaluation;
    private int _devicesInState;

    public AlertEngineMetrics(IMeterFactory meters, ConsumerLag lag, RuleCatalog rules)
    {
        var meter = meters.Create(MeterName);
        meter.CreateObservableGauge("convoy.alertengine.consumer.lag", lag.Measure, "{record}",
            "Records of each owned telemetry partition not yet taken by this engine, by topic and partition");
        meter.CreateObservableGauge("convoy.alertengine.state.devices", () => Volatile.Read(ref _devicesInState), "{device}",
            "Devices whose rule state this engine holds (its partitions' devices)");
        meter.CreateObservableGauge("convoy.alertengine.rules.invalid_files", () => rules.Rejected.Count, "{file}",
            "Tenant rule files that do not load now (their tenants keep their previous rules)");
        _evaluation = meter.CreateHistogram<double>("convoy.alertengine.evaluation.duration", "s", "Time to evaluate one batch against its tenant's rules",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.1] });
        _batches = meter.CreateCounter<long>("convoy.alertengine.batches.evaluated", "{batch}", "Telemetry batches run through the rules");
        _duplicates = meter.CreateCounter<long>("convoy.alertengine.batches.duplicate", "{batch}", "Batches dropped because their sequence was already evaluated");
        _lateReadings = meter.CreateCounter<long>("convoy.alertengine.readings.late", "{reading}", "Readings older than the last one evaluated for their rule, skipped");
        _alerts = meter.CreateCounter<long>("convoy.alertengine.alerts", "{alert}", "Alert state changes written to Kafka, by state");
        _lateBatches = meter.CreateCounter<long>("convoy.alertengine.batches.late", "{batch}", "Batches older than their device's newest reading minus the allowed lateness, not applied");
        _aheadBatches = meter.CreateCounter<long>("convoy.alertengine.batches.ahead", "{batch}",
            "Batches with a reading further ahead of their receipt than the allowed clock skew, not applied (their device's event time not moved)");
        _ruleReloads = meter.CreateCounter<long>("convoy.alertengine.rules.reloads", "{reload}", "Rule file reloads, by result (applied, rejected)");
    }

    /// <summary>How many devices the evaluator holds state for; set by the consumer's thread now and then.</summary>
    public void DevicesInState(int devices) => Volatile.Write(ref _devicesInState, devices);

    /// <summary>One batch's evaluation took <paramref name="elapsed"/>, whatever its outcome.</summary>
    public void EvaluationTook(string tenant, TimeSpan elapsed) => _evaluation.Record(elapsed.TotalSeconds, new TagList { { "tenant", tenant } });

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
