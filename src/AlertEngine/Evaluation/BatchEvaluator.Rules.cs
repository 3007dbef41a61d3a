using System.Globalization;
using Convoy.AlertEngine.Alerts;
using Convoy.AlertEngine.Rules;
using Convoy.Contracts.Alerts.V1;
using Convoy.Contracts.Telemetry;

namespace Convoy.AlertEngine.Evaluation;

/// <summary>Applying a batch to a device's rules, and the alerts that come out.</summary>
internal sealed partial class BatchEvaluator
{
    /// <summary>Runs the batch through every rule of the device; returns the readings rules skipped as older than their last.</summary>
    private int Apply(DeviceState device, in BatchView batch, List<Alert> alerts)
    {
        var rules = device.Rules!;
        int late = 0;
        foreach (var column in batch.Temperatures)
        {
            EnsureScratch(column.TemperatureC.Length);
            for (int i = 0; i < rules.Temperature.Length; i++)
            {
                var rule = rules.Temperature[i];
                if (!rule.Watches(column.Zone))
                {
                    continue;
                }

                _changes.Clear();
                late += rule.Evaluate(column.Zone, batch.BaseTimeUnixMs, column.OffsetMs, column.TemperatureC, device.Threshold(i, rule.Id, column.Zone), _changes, _maskA, _maskB);
                AddAlerts(device, batch, alerts);
            }

            late += ApplyColumn(device, batch, Signal.Temperature, column.Zone, column.OffsetMs, column.TemperatureC, alerts);
        }

        // The collector refuses columns of unequal length; a record that has them anyway is not
        // evaluated by the rules that would index past one.
        var gps = batch.Gps;
        bool hasGps = batch.HasGps && gps.LatitudeDeg.Length == gps.OffsetMs.Length && gps.LongitudeDeg.Length == gps.OffsetMs.Length && gps.SpeedKmh.Length == gps.OffsetMs.Length;
        if (hasGps)
        {
            EnsureScratch(gps.OffsetMs.Length);
            for (int i = 0; i < rules.Speed.Length; i++)
            {
                var rule = rules.Speed[i];
                _changes.Clear();
                late += rule.Evaluate(batch.BaseTimeUnixMs, gps.OffsetMs, gps.SpeedKmh, device.Threshold(rules.SpeedSlots + i, rule.Id, 0), _changes, _maskA, _maskB);
                AddAlerts(device, batch, alerts);
            }

            for (int i = 0; i < rules.Geofence.Length; i++)
            {
                var rule = rules.Geofence[i];
                _changes.Clear();
                late += rule.Evaluate(batch.BaseTimeUnixMs, gps.OffsetMs, gps.LatitudeDeg, gps.LongitudeDeg, gps.SpeedKmh, device.Threshold(rules.GeofenceSlots + i, rule.Id, 0), _changes, _maskA, _maskB);
                AddAlerts(device, batch, alerts);
            }

            late += ApplyColumn(device, batch, Signal.Speed, 0, gps.OffsetMs, gps.SpeedKmh, alerts);
        }

        var fuel = batch.Fuel;
        bool hasFuel = batch.HasFuel && fuel.LevelPercent.Length == fuel.OffsetMs.Length;
        if (hasFuel)
        {
            late += ApplyColumn(device, batch, Signal.FuelLevel, 0, fuel.OffsetMs, fuel.LevelPercent, alerts);
        }

        if (rules.FuelTheft.Length > 0 && (hasFuel || hasGps))
        {
            var gpsOffsets = hasGps ? gps.OffsetMs : default;
            var speeds = hasGps ? gps.SpeedKmh : default;
            var fuelOffsets = hasFuel ? fuel.OffsetMs : default;
            var levels = hasFuel ? fuel.LevelPercent : default;
            EnsureScratch(speeds.Length);
            for (int i = 0; i < rules.FuelTheft.Length; i++)
            {
                var rule = rules.FuelTheft[i];
                _changes.Clear();
                late += rule.Evaluate(batch.BaseTimeUnixMs, fuelOffsets, levels, fuel.TankCapacityL, gpsOffsets, speeds, device.FuelTheft(i, rule.Id), _changes, _maskA);
                AddAlerts(device, batch, alerts);
            }
        }

        if (rules.Level.Length + rules.Rate.Length > 0)
        {
            foreach (var column in batch.Scalars)
            {
                if (column.Value.Length != column.OffsetMs.Length)
                {
                    continue;
                }

                var signal = column.Kind switch
                {
                    Contracts.Telemetry.V1.ScalarKind.HumidityPercent => Signal.Humidity,
                    Contracts.Telemetry.V1.ScalarKind.BatteryVoltageV => Signal.BatteryVoltage,
                    Contracts.Telemetry.V1.ScalarKind.EngineRpm => Signal.EngineRpm,
                    _ => (Signal)(-1),
                };
                if ((int)signal >= 0)
                {
                    late += ApplyColumn(device, batch, signal, 0, column.OffsetMs, column.Value, alerts);
                }
            }
        }

        RememberLastFix(batch, device);
        return late;
    }

    /// <summary>The rule file's threshold, range and rate-of-change rules on one column of one signal.</summary>
    private int ApplyColumn(DeviceState device, in BatchView batch, Signal signal, uint zone, ReadOnlySpan<uint> offsetsMs, ReadOnlySpan<float> values, List<Alert> alerts)
    {
        var rules = device.Rules!;
        int late = 0;
        if (rules.Level.Length + rules.Rate.Length == 0 || values.Length != offsetsMs.Length)
        {
            return 0;
        }

        EnsureScratch(values.Length);
        for (int i = 0; i < rules.Level.Length; i++)
        {
            var rule = rules.Level[i];
            if (rule.Signal == signal && rule.Watches(zone))
            {
                _changes.Clear();
                late += rule.Evaluate(zone, batch.BaseTimeUnixMs, offsetsMs, values, device.Threshold(rules.LevelSlots + i, rule.Id, zone), _changes, _maskA, _maskB, _maskC);
                AddAlerts(device, batch, alerts);
            }
        }

        for (int i = 0; i < rules.Rate.Length; i++)
        {
            var rule = rules.Rate[i];
            if (rule.Signal == signal && rule.Watches(zone))
            {
                _changes.Clear();
                late += rule.Evaluate(zone, batch.BaseTimeUnixMs, offsetsMs, values, device.Threshold(rules.RateSlots + i, rule.Id, zone), _changes, _maskA, _maskB, _rates);
                AddAlerts(device, batch, alerts);
            }
        }

        return late;
    }

    private void AddAlerts(DeviceState device, in BatchView batch, List<Alert> alerts)
    {
        foreach (var change in _changes)
        {
            alerts.Add(ToAlert(device, batch.Sequence, PositionAt(batch, device, change.AtMs), change));
        }
    }

    /// <summary>
    /// Rules the device keeps state for but no longer has: deleted from the tenant's file, renamed,
    /// or the device no longer in their scope (a reload), or gone while its partition was moving
    /// (a restored state). Each of their firing alerts gets its resolved record now (same alert id,
    /// ended at the engine's clock), so nothing stays firing downstream for a rule nobody evaluates
    /// any more, and their state is dropped. <paramref name="previous"/>, when known, gives the
    /// alert its severity.
    /// </summary>
    private void ResolveRemoved(DeviceState device, DeviceRules? previous, long now, List<Alert> alerts)
    {
        var current = device.Rules!;
        _scratchThresholds.Clear();
        foreach (var key in device.Thresholds.Keys)
        {
            if (!current.KeepsThreshold(key.Rule, key.Zone))
            {
                _scratchThresholds.Add(key);
            }
        }

        bool dropped = _scratchThresholds.Count > 0;
        foreach (var key in _scratchThresholds)
        {
            device.Thresholds.Remove(key, out var state);
            if (state!.Phase is ThresholdPhase.Firing or ThresholdPhase.Clearing)
            {
                alerts.Add(RuleRemovedAlert(device, key.Rule, previous?.Find(key.Rule), key.Zone, state.AlertStartMs, now));
            }
        }

        _scratchThresholds.Clear();
        dropped |= DropRemoved<FuelTheftState, FuelTheftRule>(device, device.FuelThefts, static theft => theft.Firing ? theft.AlertStartMs : null, previous, now, alerts);
        dropped |= DropRemoved<SilentState, SilentRule>(device, device.Silences, static silence => silence.Firing ? silence.AlertStartMs : null, previous, now, alerts);
        if (dropped)
        {
            Changed(device);
        }
    }

    /// <summary>Drops the per-rule states of rules the device no longer has, resolving those firing (<paramref name="firingSince"/> gives the alert's start).</summary>
    private bool DropRemoved<TState, TRule>(DeviceState device, Dictionary<string, TState> states, Func<TState, long?> firingSince, DeviceRules? previous, long now, List<Alert> alerts)
        where TRule : IAlertRule
    {
        _scratchThresholds.Clear();
        foreach (string rule in states.Keys)
        {
            if (device.Rules!.Find(rule) is not TRule) // gone, or its id now names a rule of another kind
            {
                _scratchThresholds.Add((rule, 0));
            }
        }

        foreach (var (rule, _) in _scratchThresholds)
        {
            states.Remove(rule, out var state);
            if (firingSince(state!) is long startMs)
            {
                alerts.Add(RuleRemovedAlert(device, rule, previous?.Find(rule), 0, startMs, now));
            }
        }

        bool dropped = _scratchThresholds.Count > 0;
        _scratchThresholds.Clear();
        return dropped;
    }

    private static Alert RuleRemovedAlert(DeviceState device, string ruleId, IAlertRule? rule, uint zone, long startMs, long now) => new()
    {
        AlertId = AlertIds.For(device.Tenant, device.Id, ruleId, zone, startMs),
        TenantId = device.Tenant,
        DeviceId = device.Id,
        RuleId = ruleId,
        Severity = rule?.Severity ?? Severity.Unspecified,
        State = AlertState.Resolved,
        StartTimeUnixMs = startMs,
        EndTimeUnixMs = now,
        SourceSequence = device.LastSequence,
        LastPosition = device.LastFix?.Clone(),
        Message = $"{ruleId} no longer applies to {device.Id} (the rule was removed from the tenant's rules, renamed, or its scope, kind or zone changed): resolved by the rule reload",
    };

    private static Alert ToAlert(DeviceState device, ulong sequence, Position? position, AlertChange change) => new()
    {
        AlertId = AlertIds.For(device.Tenant, device.Id, change.RuleId, change.Zone, change.StartMs),
        TenantId = device.Tenant,
        DeviceId = device.Id,
        RuleId = change.RuleId,
        Severity = change.Severity,
        State = change.State,
        StartTimeUnixMs = change.StartMs,
        EndTimeUnixMs = change.EndMs,
        TriggerValue = change.Value,
        TriggerUnit = Unit(change),
        SourceSequence = sequence,
        LastPosition = position,
        Message = Message(change),
    };

    private static string Unit(in AlertChange change) => change.Kind switch
    {
        RuleKind.Speed or RuleKind.Geofence => "km/h",
        RuleKind.FuelTheft => "percent",
        RuleKind.Threshold or RuleKind.ThresholdBelow or RuleKind.Range => Signals.Unit(change.Signal),
        RuleKind.RateOfChange => Signals.Unit(change.Signal) + "/min",
        RuleKind.Silent => "min",
        _ => "degC",
    };

    private static string Message(in AlertChange change)
    {
        bool firing = change.State == AlertState.Firing;
        var c = CultureInfo.InvariantCulture;
        string unit = Unit(change);
        string subject = Signals.Describe(change.Signal, change.Zone);
        switch (change.Kind)
        {
            case RuleKind.Speed:
                return firing
                    ? string.Create(c, $"at {change.Value:0} km/h, above {change.Threshold:0} km/h for {Minutes(change.For)}")
                    : string.Create(c, $"back to {change.Value:0} km/h, at or below {change.Threshold:0} km/h for {Minutes(change.For)}");
            case RuleKind.Geofence:
            {
                // Threshold is the side the change happened on: 1 inside, 0 outside.
                bool nowInside = change.Threshold == 1f;
                string verb = (firing, nowInside) switch
                {
                    (true, true) => "entered",
                    (false, true) => "came back inside",
                    _ => "left",
                };
                string held = change.For > TimeSpan.Zero ? string.Create(c, $" {Minutes(change.For)} ago") : "";
                return string.Create(c, $"{verb} geofence {change.RuleId}{held}, at {change.Value:0} km/h");
            }

            case RuleKind.FuelTheft:
            {
                string litres = float.IsNaN(change.Litres) ? "" : string.Create(c, $" ({change.Litres:0} L)");
                return firing
                    ? string.Create(c, $"fuel level dropped {change.Value:0.0} percent{litres} within {Minutes(change.For)} while stationary")
                    : string.Create(c, $"moving again; {change.Value:0.0} percent{litres} of fuel lost while stationary");
            }

            case RuleKind.Threshold:
                return firing
                    ? string.Create(c, $"{subject} at {change.Value:0.0} {unit}, above {change.Threshold:0.0} {unit} for {Minutes(change.For)}")
                    : string.Create(c, $"{subject} back to {change.Value:0.0} {unit}, at or below {change.Threshold:0.0} {unit} for {Minutes(change.For)}");
            case RuleKind.ThresholdBelow:
                return firing
                    ? string.Create(c, $"{subject} at {change.Value:0.0} {unit}, below {change.Threshold:0.0} {unit} for {Minutes(change.For)}")
                    : string.Create(c, $"{subject} back to {change.Value:0.0} {unit}, at or above {change.Threshold:0.0} {unit} for {Minutes(change.For)}");
            case RuleKind.Range:
                return firing
                    ? string.Create(c, $"{subject} at {change.Value:0.0} {unit}, outside its range for {Minutes(change.For)}")
                    : string.Create(c, $"{subject} back to {change.Value:0.0} {unit}, inside its range for {Minutes(change.For)}");
            case RuleKind.RateOfChange:
                return firing
                    ? string.Create(c, $"{subject} rising {change.Value:0.00} {unit}, faster than {change.Threshold:0.00} {unit}{(change.For > TimeSpan.Zero ? " for " + Minutes(change.For) : "")}")
                    : string.Create(c, $"{subject} rising {change.Value:0.00} {unit}, at or below {change.Threshold:0.00} {unit} for {Minutes(change.For)}");
            case RuleKind.Silent:
                return firing
                    ? string.Create(c, $"no data for {Minutes(TimeSpan.FromMinutes(change.Value))} (rule: {Minutes(change.For)}); newest reading at {DateTimeOffset.FromUnixTimeMilliseconds(change.StartMs):yyyy-MM-ddTHH:mm:ssZ}")
                    : string.Create(c, $"data again after {Minutes(TimeSpan.FromMinutes(change.Value))} of silence");
            default:
                return firing
                    ? string.Create(c, $"zone {change.Zone} at {change.Value:0.0} degC, above {change.Threshold:0.0} degC for {Minutes(change.For)}")
                    : string.Create(c, $"zone {change.Zone} back to {change.Value:0.0} degC, at or below {change.Threshold:0.0} degC for {Minutes(change.For)}");
        }
    }

    private static string Minutes(TimeSpan span) =>
        span.TotalMinutes >= 1 ? string.Create(CultureInfo.InvariantCulture, $"{span.TotalMinutes:0.#} min") : string.Create(CultureInfo.InvariantCulture, $"{span.TotalSeconds:0} s");

    /// <summary>The last fix at or before <paramref name="atMs"/>: from this batch, else the device's last known one.</summary>
    private static Position? PositionAt(in BatchView batch, DeviceState device, long atMs)
    {
        if (batch.HasGps)
        {
            var gps = batch.Gps;
            for (int i = gps.OffsetMs.Length - 1; i >= 0; i--)
            {
                long t = batch.BaseTimeUnixMs + gps.OffsetMs[i];
                if (t <= atMs)
                {
                    return new Position { LatitudeDeg = gps.LatitudeDeg[i], LongitudeDeg = gps.LongitudeDeg[i], SpeedKmh = gps.SpeedKmh[i], TimeUnixMs = t };
                }
            }
        }

        return device.LastFix?.Clone();
    }

    private static void RememberLastFix(in BatchView batch, DeviceState device)
    {
        if (batch.HasGps && batch.Gps.OffsetMs.Length > 0)
        {
            var gps = batch.Gps;
            int i = gps.OffsetMs.Length - 1;
            // Updated in place: every alert and snapshot takes a copy of it, none keeps it.
            var fix = device.LastFix ??= new Position();
            fix.LatitudeDeg = gps.LatitudeDeg[i];
            fix.LongitudeDeg = gps.LongitudeDeg[i];
            fix.SpeedKmh = gps.SpeedKmh[i];
            fix.TimeUnixMs = batch.BaseTimeUnixMs + gps.OffsetMs[i];
        }
    }
}
