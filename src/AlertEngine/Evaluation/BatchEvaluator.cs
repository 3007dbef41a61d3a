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
            int words = ViolationMask.WordsFor(column.TemperatureC.Length);
            if (_above.Length < words)
            {
                _above = new ulong[words * 2];
                _cleared = new ulong[words * 2];
            }

            foreach (var rule in _temperatureRules)
            {
                if (!rule.Watches(column.Zone))
                {
                    continue;
                }

                if (!device.Thresholds.TryGetValue((rule.Id, column.Zone), out var state))
                {
                    state = new ThresholdState();
                    device.Thresholds.Add((rule.Id, column.Zone), state);
                }

                _changes.Clear();
                lateReadings += rule.Evaluate(column.Zone, batch.BaseTimeUnixMs, column.OffsetMs, column.TemperatureC, state, _changes, _above, _cleared);
                foreach (var change in _changes)
                {
                    alerts.Add(ToAlert(tenant, deviceId, batch, device, change));
                }
            }
        }

        RememberLastFix(batch, device);
        return true;
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
            TriggerUnit = "degC",
            SourceSequence = batch.Sequence,
            LastPosition = PositionAt(batch, device, change.AtMs),
            Message = change.State == AlertState.Firing
                ? string.Create(CultureInfo.InvariantCulture, $"zone {change.Zone} at {change.Value:0.0} degC, above {change.ThresholdC:0.0} degC for {Minutes(change.For)}")
                : string.Create(CultureInfo.InvariantCulture, $"zone {change.Zone} back to {change.Value:0.0} degC, at or below {change.ThresholdC:0.0} degC for {Minutes(change.For)}"),
        };
        return alert;
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
    }
}
