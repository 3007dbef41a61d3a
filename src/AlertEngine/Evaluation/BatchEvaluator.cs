using System.Globalization;
using Convoy.AlertEngine.Alerts;
using Convoy.AlertEngine.Rules;
using Convoy.AlertEngine.Kernels;
using Convoy.Contracts.Alerts.V1;
using Convoy.Contracts.Telemetry;

namespace Convoy.AlertEngine.Evaluation;

/// <summary>
/// Runs each batch of a device through the rules, in event time, and turns the state changes into
/// alerts. Reads the batch's columns in place from the Kafka record (<see cref="BatchView"/>: no
/// per-reading objects). Drops a batch whose sequence the device has already passed (effectively
/// once). Holds per-device state; one instance per consumer (not thread-safe).
/// </summary>
internal sealed class BatchEvaluator
{
    private readonly TemperatureRule[] _temperatureRules;
    private readonly SpeedRule[] _speedRules;
    private readonly FuelTheftRule[] _fuelTheftRules;
    private readonly GeofenceRule[] _geofenceRules;
    private readonly Dictionary<(string Tenant, string Device), DeviceState> _devices = [];
    private readonly List<AlertChange> _changes = [];
    private ulong[] _above = new ulong[64];
    private ulong[] _cleared = new ulong[64];

    public BatchEvaluator(AlertEngineOptions options)
    {
        _temperatureRules = new TemperatureRule[options.TemperatureRules.Count];
        for (int i = 0; i < _temperatureRules.Length; i++)
        {
            _temperatureRules[i] = new TemperatureRule(options.TemperatureRules[i]);
        }

        _speedRules = options.SpeedRules.Select(o => new SpeedRule(o)).ToArray();
        _fuelTheftRules = options.FuelTheftRules.Select(o => new FuelTheftRule(o)).ToArray();
        _geofenceRules = options.GeofenceRules.Select(o => new GeofenceRule(o)).ToArray();
    }

    /// <summary>
    /// Evaluates one encoded batch, appending the alerts it raised. False when it was a duplicate.
    /// A record that is not a readable batch is reported through <paramref name="problem"/>.
    /// </summary>
    public bool Evaluate(string tenant, ReadOnlySpan<byte> payload, List<Alert> alerts, out int lateReadings, out string? problem)
    {
        lateReadings = 0;
        if (!BatchView.TryRead(payload, out var batch, out problem))
        {
            return false;
        }

        string deviceId = System.Text.Encoding.UTF8.GetString(batch.DeviceId);
        if (!_devices.TryGetValue((tenant, deviceId), out var device))
        {
            device = new DeviceState();
            _devices.Add((tenant, deviceId), device);
        }

        if (batch.Sequence <= device.LastSequence)
        {
            return false;
        }

        device.LastSequence = batch.Sequence;
        foreach (var column in batch.Temperatures)
        {
            EnsureMasks(column.TemperatureC.Length);
            foreach (var rule in _temperatureRules)
            {
                if (!rule.Watches(column.Zone))
                {
                    continue;
                }

                _changes.Clear();
                lateReadings += rule.Evaluate(column.Zone, batch.BaseTimeUnixMs, column.OffsetMs, column.TemperatureC, device.Threshold(rule.Id, column.Zone), _changes, _above, _cleared);
                AddAlerts(tenant, deviceId, batch, device, alerts);
            }
        }

        // The collector refuses columns of unequal length; a record that has them anyway is not
        // evaluated by the rules that would index past one.
        var gps = batch.Gps;
        bool hasGps = batch.HasGps && gps.LatitudeDeg.Length == gps.OffsetMs.Length && gps.LongitudeDeg.Length == gps.OffsetMs.Length && gps.SpeedKmh.Length == gps.OffsetMs.Length;
        if (hasGps)
        {
            EnsureMasks(gps.OffsetMs.Length);
            foreach (var rule in _speedRules)
            {
                _changes.Clear();
                lateReadings += rule.Evaluate(batch.BaseTimeUnixMs, gps.OffsetMs, gps.SpeedKmh, device.Threshold(rule.Id, 0), _changes, _above, _cleared);
                AddAlerts(tenant, deviceId, batch, device, alerts);
            }

            foreach (var rule in _geofenceRules)
            {
                _changes.Clear();
                lateReadings += rule.Evaluate(batch.BaseTimeUnixMs, gps.OffsetMs, gps.LatitudeDeg, gps.LongitudeDeg, gps.SpeedKmh, device.Threshold(rule.Id, 0), _changes, _above, _cleared);
                AddAlerts(tenant, deviceId, batch, device, alerts);
            }
        }

        var fuel = batch.Fuel;
        bool hasFuel = batch.HasFuel && fuel.LevelPercent.Length == fuel.OffsetMs.Length;
        if (_fuelTheftRules.Length > 0 && (hasFuel || hasGps))
        {
            var gpsOffsets = hasGps ? gps.OffsetMs : default;
            var speeds = hasGps ? gps.SpeedKmh : default;
            var fuelOffsets = hasFuel ? fuel.OffsetMs : default;
            var levels = hasFuel ? fuel.LevelPercent : default;
            EnsureMasks(speeds.Length);
            foreach (var rule in _fuelTheftRules)
            {
                if (!device.FuelThefts.TryGetValue(rule.Id, out var state))
                {
                    state = new FuelTheftState();
                    device.FuelThefts.Add(rule.Id, state);
                }

                _changes.Clear();
                lateReadings += rule.Evaluate(batch.BaseTimeUnixMs, fuelOffsets, levels, fuel.TankCapacityL, gpsOffsets, speeds, state, _changes, _above);
                AddAlerts(tenant, deviceId, batch, device, alerts);
            }
        }

        RememberLastFix(batch, device);
        return true;
    }

    private void AddAlerts(string tenant, string deviceId, in BatchView batch, DeviceState device, List<Alert> alerts)
    {
        foreach (var change in _changes)
        {
            alerts.Add(ToAlert(tenant, deviceId, batch, device, change));
        }
    }

    private void EnsureMasks(int readings)
    {
        int words = ViolationMask.WordsFor(readings);
        if (_above.Length < words)
        {
            _above = new ulong[words * 2];
            _cleared = new ulong[words * 2];
        }
    }

    private static Alert ToAlert(string tenant, string deviceId, in BatchView batch, DeviceState device, AlertChange change)
    {
        var alert = new Alert
        {
            AlertId = AlertIds.For(tenant, deviceId, change.RuleId, change.Zone, change.StartMs),
            TenantId = tenant,
            DeviceId = deviceId,
            RuleId = change.RuleId,
            Severity = change.Severity,
            State = change.State,
            StartTimeUnixMs = change.StartMs,
            EndTimeUnixMs = change.EndMs,
            TriggerValue = change.Value,
            TriggerUnit = Unit(change.Kind),
            SourceSequence = batch.Sequence,
            LastPosition = PositionAt(batch, device, change.AtMs),
            Message = Message(change),
        };
        return alert;
    }

    private static string Unit(RuleKind kind) => kind switch
    {
        RuleKind.Speed or RuleKind.Geofence => "km/h",
        RuleKind.FuelTheft => "percent",
        _ => "degC",
    };

    private static string Message(in AlertChange change)
    {
        bool firing = change.State == AlertState.Firing;
        var c = CultureInfo.InvariantCulture;
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
            device.LastFix = new Position
            {
                LatitudeDeg = gps.LatitudeDeg[i],
                LongitudeDeg = gps.LongitudeDeg[i],
                SpeedKmh = gps.SpeedKmh[i],
                TimeUnixMs = batch.BaseTimeUnixMs + gps.OffsetMs[i],
            };
        }
    }

    private sealed class DeviceState
    {
        public ulong LastSequence;
        public Position? LastFix;
        public readonly Dictionary<(string Rule, uint Zone), ThresholdState> Thresholds = [];
        public readonly Dictionary<string, FuelTheftState> FuelThefts = [];

        public ThresholdState Threshold(string rule, uint zone)
        {
            if (!Thresholds.TryGetValue((rule, zone), out var state))
            {
                state = new ThresholdState();
                Thresholds.Add((rule, zone), state);
            }

            return state;
        }
    }
}
