using System.Text;
using Convoy.Contracts.Telemetry;
using Convoy.Contracts.Telemetry.V1;
using Convoy.FleetHistory.Store;

namespace Convoy.FleetHistory.Projection;

/// <summary>
/// Folds one telemetry batch into a tenant's pending changes: its fixes into the track, every
/// reading into the 1-minute and 1-hour rollups of its sensor, and the newest of each into the
/// device's state. Reads the batch in place (<see cref="BatchView"/>) without decoding it.
/// </summary>
/// <remarks>
/// Where a column set carries window summaries (the agent aggregated that sensor), a reading whose
/// time falls inside one of its windows is one of the window's representatives (its min, max or
/// last), so the rollups take the window's exact count, mean and bounds instead, in the bucket of
/// the window's start; readings outside every window (sent raw around an excursion) count as
/// themselves. A window longer than a bucket counts wholly in the bucket it starts in.
/// </remarks>
internal static class TelemetryFold
{
    public const long MinuteMs = 60_000;
    public const long HourMs = 3_600_000;

    /// <summary>The rollup name of each sensor; also what the query API's <c>sensor</c> takes.</summary>
    public const string Temperature = "temperature";
    public const string Fuel = "fuel";
    public const string Speed = "speed";

    public static string SensorName(ScalarKind kind, ReadOnlySpan<byte> name) => kind switch
    {
        ScalarKind.EngineRpm => "engine_rpm",
        ScalarKind.BatteryVoltageV => "battery_voltage_v",
        ScalarKind.ReeferDoorOpen => "reefer_door_open",
        ScalarKind.HumidityPercent => "humidity_percent",
        ScalarKind.OdometerKm => "odometer_km",
        ScalarKind.Custom => "custom:" + Encoding.UTF8.GetString(name),
        _ => "kind:" + ((int)kind).ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>Folds the batch; false (with the reason) when the bytes are not a readable batch.</summary>
    public static bool TryApply(TenantChanges changes, string device, ReadOnlySpan<byte> payload, out int readings, out string? problem)
    {
        readings = 0;
        if (!BatchView.TryRead(payload, out var batch, out problem))
        {
            return false;
        }

        if (!changes.Devices.TryGetValue(device, out var latest))
        {
            changes.Devices[device] = latest = new DeviceLatest();
        }

        long baseMs = batch.BaseTimeUnixMs;
        if (batch.HasGps && batch.Gps.OffsetMs.Length > 0)
        {
            var gps = batch.Gps;
            for (int i = 0; i < gps.OffsetMs.Length; i++)
            {
                changes.Positions.Add(new PositionRow(device, baseMs + gps.OffsetMs[i], gps.LatitudeDeg[i], gps.LongitudeDeg[i], gps.SpeedKmh[i], gps.HeadingDeg[i]));
            }

            int last = gps.OffsetMs.Length - 1;
            long lastMs = baseMs + gps.OffsetMs[last];
            if (latest.Position is not { } known || lastMs > known.TimeMs)
            {
                latest.Position = new PositionRow(device, lastMs, gps.LatitudeDeg[last], gps.LongitudeDeg[last], gps.SpeedKmh[last], gps.HeadingDeg[last]);
            }

            latest.Seen(lastMs);
            Roll(changes, device, Speed, 0, baseMs, gps.OffsetMs, gps.SpeedKmh, default);
            readings += gps.OffsetMs.Length;
        }

        foreach (var temperature in batch.Temperatures)
        {
            if (temperature.OffsetMs.Length == 0)
            {
                continue;
            }

            long lastMs = baseMs + temperature.OffsetMs[^1];
            if (!latest.Temperatures.TryGetValue(temperature.Zone, out var known) || lastMs > known.TimeMs)
            {
                latest.Temperatures[temperature.Zone] = (temperature.TemperatureC[^1], lastMs);
            }

            latest.Seen(lastMs);
            Roll(changes, device, Temperature, temperature.Zone, baseMs, temperature.OffsetMs, temperature.TemperatureC, temperature.Windows);
            readings += temperature.OffsetMs.Length;
        }

        if (batch.HasFuel && batch.Fuel.OffsetMs.Length > 0)
        {
            var fuel = batch.Fuel;
            long lastMs = baseMs + fuel.OffsetMs[^1];
            if (lastMs > latest.FuelMs)
            {
                latest.FuelMs = lastMs;
                latest.FuelPercent = fuel.LevelPercent[^1];
            }

            latest.Seen(lastMs);
            Roll(changes, device, Fuel, 0, baseMs, fuel.OffsetMs, fuel.LevelPercent, fuel.Windows);
            readings += fuel.OffsetMs.Length;
        }

        foreach (var scalar in batch.Scalars)
        {
            if (scalar.OffsetMs.Length == 0)
            {
                continue;
            }

            latest.Seen(baseMs + scalar.OffsetMs[^1]);
            Roll(changes, device, SensorName(scalar.Kind, scalar.Name), 0, baseMs, scalar.OffsetMs, scalar.Value, scalar.Windows);
            readings += scalar.OffsetMs.Length;
        }

        return true;
    }

    /// <summary>
    /// Adds a column to the rollups. The offsets are non-decreasing (the collector checks it), so a
    /// run of readings in one bucket is summed locally and merged once per bucket, not per reading.
    /// </summary>
    private static void Roll(TenantChanges changes, string device, string sensor, uint zone, long baseMs, ReadOnlySpan<uint> offsets, ReadOnlySpan<float> values, WindowView windows)
    {
        var starts = windows.StartUnixMs;
        int window = 0;
        var minute = default(RollupCell);
        long minuteStart = long.MinValue;
        var hour = default(RollupCell);
        long hourStart = long.MinValue;
        for (int i = 0; i < offsets.Length; i++)
        {
            long time = baseMs + offsets[i];
            while (window < starts.Length && starts[window] + windows.LengthMs[window] <= time)
            {
                window++;
            }

            if (window < starts.Length && starts[window] <= time)
            {
                continue; // one of the window's representatives: the window's summary counts instead
            }

            var cell = RollupCell.Of(values[i], time);
            Accumulate(changes.Minutes, device, sensor, zone, MinuteMs, time, cell, ref minute, ref minuteStart);
            Accumulate(changes.Hours, device, sensor, zone, HourMs, time, cell, ref hour, ref hourStart);
        }

        Flush(changes.Minutes, device, sensor, zone, minute, minuteStart);
        Flush(changes.Hours, device, sensor, zone, hour, hourStart);
        for (int w = 0; w < starts.Length; w++)
        {
            long start = starts[w];
            var summary = RollupCell.Summary(windows.Min[w], windows.Max[w], windows.Mean[w], windows.Count[w], windows.Last[w], start + windows.LengthMs[w] - 1);
            Merge(changes.Minutes, new RollupKey(device, sensor, zone, Floor(start, MinuteMs)), summary);
            Merge(changes.Hours, new RollupKey(device, sensor, zone, Floor(start, HourMs)), summary);
        }
    }

    private static void Accumulate(Dictionary<RollupKey, RollupCell> cells, string device, string sensor, uint zone, long size, long time, in RollupCell reading, ref RollupCell run, ref long runStart)
    {
        long start = Floor(time, size);
        if (start == runStart)
        {
            run.Merge(reading);
            return;
        }

        Flush(cells, device, sensor, zone, run, runStart);
        run = reading;
        runStart = start;
    }

    private static void Flush(Dictionary<RollupKey, RollupCell> cells, string device, string sensor, uint zone, in RollupCell run, long runStart)
    {
        if (runStart != long.MinValue)
        {
            Merge(cells, new RollupKey(device, sensor, zone, runStart), run);
        }
    }

    private static void Merge(Dictionary<RollupKey, RollupCell> cells, RollupKey key, in RollupCell cell)
    {
        ref var slot = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(cells, key, out bool exists);
        if (exists)
        {
            slot.Merge(cell);
        }
        else
        {
            slot = cell;
        }
    }

    public static long Floor(long time, long size) => time - (((time % size) + size) % size);
}
