using Convoy.Contracts.Telemetry.V1;

namespace Convoy.EdgeAgent.Aggregation;

/// <summary>What <see cref="BatchAggregator"/> made of the readings fed so far.</summary>
/// <param name="Batch">The reduced batch to buffer, or null when nothing is due yet.</param>
/// <param name="Readings">Readings in <paramref name="Batch"/>.</param>
/// <param name="Excursion">Whether the batch holds readings kept raw for an excursion: the durable buffer drops these last when the disk is full.</param>
internal readonly record struct ReducedBatch(TelemetryBatch? Batch, int Readings, bool Excursion);

/// <summary>
/// One device's edge pre-aggregation: takes the raw batches an input makes (simulator, GPS
/// receiver, sensor bus) and returns the reduced batch to buffer, per sensor by its
/// <see cref="AggregationOptions"/>. Filters hold readings back (excursion look-back, open windows,
/// the last fix of a stop), so a reduced batch covers the readings released by this call, which may
/// start before the raw batch did; per sensor the output stays in time order across batches.
/// Not thread-safe: one input feeds it.
/// </summary>
internal sealed class BatchAggregator
{
    private readonly AggregationOptions _options;
    private readonly bool _passThrough;
    private readonly long _coalesceMs;
    private long _builtAtMs = long.MinValue;
    private readonly List<ScalarStream> _streams = [];
    private readonly List<Fix> _gpsOut = [];
    private GpsFilter? _gps;
    private float _tankCapacityL;

    public BatchAggregator(AggregationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _passThrough = options.PassThrough;
        _coalesceMs = (long)options.CoalesceFor.TotalMilliseconds;
    }

    /// <summary>Reduces <paramref name="raw"/> (the device's next batch, later than the previous one per sensor).</summary>
    public ReducedBatch Reduce(TelemetryBatch raw)
    {
        ArgumentNullException.ThrowIfNull(raw);
        if (_passThrough)
        {
            return new ReducedBatch(raw, Count(raw), false);
        }

        long excursionsBefore = ExcursionReadings();
        long baseMs = raw.BaseTimeUnixMs;
        if (raw.Gps is { } gps)
        {
            _gps ??= new GpsFilter(_options.Gps);
            int flagged = 0; // the next of gps.GatewayTimed (ascending)
            for (int i = 0; i < gps.OffsetMs.Count; i++)
            {
                bool gatewayTimed = flagged < gps.GatewayTimed.Count && gps.GatewayTimed[flagged] == i;
                flagged += gatewayTimed ? 1 : 0;
                _gps.Push(new Fix(baseMs + gps.OffsetMs[i], gps.LatitudeDeg[i], gps.LongitudeDeg[i], gps.SpeedKmh[i], gps.HeadingDeg[i], gatewayTimed), _gpsOut);
            }
        }

        foreach (var column in raw.Temperatures)
        {
            Feed(Stream(SensorKind.Temperature, column.Zone, null), baseMs, column.OffsetMs, column.TemperatureC);
        }

        if (raw.Fuel is { } fuel)
        {
            _tankCapacityL = fuel.TankCapacityL;
            Feed(Stream(SensorKind.Fuel, 0, null), baseMs, fuel.OffsetMs, fuel.LevelPercent);
        }

        foreach (var column in raw.Scalars)
        {
            Feed(Stream(SensorKind.Scalar, (uint)column.Kind, column.Name), baseMs, column.OffsetMs, column.Value);
        }

        bool excursion = ExcursionReadings() != excursionsBefore;
        long latest = LatestFed(raw);
        if (!excursion && _coalesceMs > 0 && _builtAtMs != long.MinValue && latest - _builtAtMs < _coalesceMs)
        {
            return default; // small: wait for more (an excursion is never held back)
        }

        var reduced = Build(raw.DeviceId, excursion);
        if (reduced.Batch is not null)
        {
            _builtAtMs = latest;
        }

        return reduced;
    }

    /// <summary>Releases everything the filters hold (shutdown, or the end of a report run).</summary>
    public ReducedBatch Flush(string device)
    {
        if (_passThrough)
        {
            return default;
        }

        _gps?.Flush(_gpsOut);
        foreach (var stream in _streams)
        {
            stream.Filter.Flush(stream.Output);
        }

        return Build(device, false);
    }

    /// <summary>Readings in a batch: every GPS fix and every scalar reading counts as one.</summary>
    public static int Count(TelemetryBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        int readings = batch.Gps?.OffsetMs.Count ?? 0;
        foreach (var column in batch.Temperatures)
        {
            readings += column.OffsetMs.Count;
        }

        readings += batch.Fuel?.OffsetMs.Count ?? 0;
        foreach (var column in batch.Scalars)
        {
            readings += column.OffsetMs.Count;
        }

        return readings;
    }

    /// <summary>Time of the latest reading of <paramref name="raw"/>.</summary>
    private static long LatestFed(TelemetryBatch raw)
    {
        long latest = raw.BaseTimeUnixMs;
        latest = Math.Max(latest, raw.BaseTimeUnixMs + (raw.Gps is { OffsetMs.Count: > 0 } gps ? gps.OffsetMs[^1] : 0));
        latest = Math.Max(latest, raw.BaseTimeUnixMs + (raw.Fuel is { OffsetMs.Count: > 0 } fuel ? fuel.OffsetMs[^1] : 0));
        foreach (var column in raw.Temperatures)
        {
            latest = Math.Max(latest, raw.BaseTimeUnixMs + (column.OffsetMs.Count > 0 ? column.OffsetMs[^1] : 0));
        }

        foreach (var column in raw.Scalars)
        {
            latest = Math.Max(latest, raw.BaseTimeUnixMs + (column.OffsetMs.Count > 0 ? column.OffsetMs[^1] : 0));
        }

        return latest;
    }

    private long ExcursionReadings()
    {
        long total = _gps?.ExcursionReadings ?? 0;
        foreach (var stream in _streams)
        {
            total += stream.Filter.ExcursionReadings;
        }

        return total;
    }

    private static void Feed(ScalarStream stream, long baseMs, Google.Protobuf.Collections.RepeatedField<uint> offsets, Google.Protobuf.Collections.RepeatedField<float> values)
    {
        for (int i = 0; i < offsets.Count; i++)
        {
            stream.Filter.Push(new Reading(baseMs + offsets[i], values[i]), stream.Output);
        }
    }

    private ScalarStream Stream(SensorKind kind, uint id, string? name)
    {
        name = string.IsNullOrEmpty(name) ? null : name;
        foreach (var stream in _streams)
        {
            if (stream.Kind == kind && stream.Id == id && stream.Name == name)
            {
                return stream;
            }
        }

        var options = kind switch
        {
            SensorKind.Temperature => _options.ForZone(id),
            SensorKind.Fuel => _options.Fuel,
            _ => _options.Scalars,
        };
        var created = new ScalarStream(kind, id, name, new SensorFilter(options));
        _streams.Add(created);
        return created;
    }

    /// <summary>Moves every released reading into one batch based at the earliest of them.</summary>
    private ReducedBatch Build(string device, bool excursion)
    {
        long baseMs = long.MaxValue;
        if (_gpsOut.Count > 0)
        {
            baseMs = _gpsOut[0].TimeMs;
        }

        foreach (var stream in _streams)
        {
            if (stream.Output.Count > 0)
            {
                baseMs = Math.Min(baseMs, stream.Output[0].TimeMs);
            }
        }

        if (baseMs == long.MaxValue)
        {
            return default;
        }

        var batch = new TelemetryBatch { DeviceId = device, BaseTimeUnixMs = baseMs };
        int readings = 0;
        if (_gpsOut.Count > 0)
        {
            var gps = new GpsColumns();
            foreach (var fix in _gpsOut)
            {
                if (fix.GatewayTimed)
                {
                    gps.GatewayTimed.Add((uint)gps.OffsetMs.Count);
                }

                gps.OffsetMs.Add((uint)(fix.TimeMs - baseMs));
                gps.LatitudeDeg.Add(fix.LatitudeDeg);
                gps.LongitudeDeg.Add(fix.LongitudeDeg);
                gps.SpeedKmh.Add(fix.SpeedKmh);
                gps.HeadingDeg.Add(fix.HeadingDeg);
            }

            readings += _gpsOut.Count;
            batch.Gps = gps;
            _gpsOut.Clear();
        }

        foreach (var stream in _streams)
        {
            if (stream.Output.Count == 0)
            {
                continue; // a window closes by sending at least its minimum, so no summary waits without readings
            }

            var windows = Windows(stream.Filter.ClosedWindows);
            switch (stream.Kind)
            {
                case SensorKind.Temperature:
                    var temperature = new TemperatureColumns { Zone = stream.Id, Windows = windows };
                    Copy(stream.Output, baseMs, temperature.OffsetMs, temperature.TemperatureC);
                    batch.Temperatures.Add(temperature);
                    break;
                case SensorKind.Fuel:
                    var fuel = new FuelColumns { TankCapacityL = _tankCapacityL, Windows = windows };
                    Copy(stream.Output, baseMs, fuel.OffsetMs, fuel.LevelPercent);
                    batch.Fuel = fuel;
                    break;
                default:
                    var scalar = new ScalarColumns { Kind = (ScalarKind)stream.Id, Name = stream.Name ?? string.Empty, Windows = windows };
                    Copy(stream.Output, baseMs, scalar.OffsetMs, scalar.Value);
                    batch.Scalars.Add(scalar);
                    break;
            }

            readings += stream.Output.Count;
            stream.Output.Clear();
        }

        return new ReducedBatch(batch, readings, excursion);
    }

    /// <summary>The closed windows as wire columns (null when there are none), emptying the list.</summary>
    private static WindowColumns? Windows(List<WindowSummary> closed)
    {
        if (closed.Count == 0)
        {
            return null;
        }

        var columns = new WindowColumns();
        foreach (var window in closed)
        {
            columns.StartUnixMs.Add(window.StartMs);
            columns.LengthMs.Add((uint)window.LengthMs);
            columns.Count.Add((uint)window.Count);
            columns.Min.Add(window.Min);
            columns.Max.Add(window.Max);
            columns.Mean.Add(window.Mean);
            columns.Last.Add(window.Last);
        }

        closed.Clear();
        return columns;
    }

    private static void Copy(List<Reading> readings, long baseMs, Google.Protobuf.Collections.RepeatedField<uint> offsets, Google.Protobuf.Collections.RepeatedField<float> values)
    {
        offsets.Capacity = readings.Count;
        values.Capacity = readings.Count;
        foreach (var reading in readings)
        {
            offsets.Add((uint)(reading.TimeMs - baseMs));
            values.Add(reading.Value);
        }
    }

    private enum SensorKind
    {
        Temperature,
        Fuel,
        Scalar,
    }

    private sealed class ScalarStream(SensorKind kind, uint id, string? name, SensorFilter filter)
    {
        public SensorKind Kind { get; } = kind;

        public uint Id { get; } = id;

        public string? Name { get; } = name;

        public SensorFilter Filter { get; } = filter;

        public List<Reading> Output { get; } = [];
    }
}
