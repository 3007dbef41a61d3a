using Convoy.Contracts.Telemetry.V1;
using Convoy.EdgeAgent.Inputs;

namespace Convoy.EdgeAgent.Batching;

/// <summary>
/// Collects sensor readings into one batch. Readings may arrive in any order across sensors and,
/// within a span, out of order for one sensor (two publishers, QoS 1 redelivery); the batch sorts
/// each column by time when it is cut, since the contract wants every column's offsets non-decreasing.
/// <para>
/// What must stay true: a batch spans less than <c>spanMs</c> of reading time (newest − oldest) and
/// holds at most <c>maxReadings</c> readings; its base time is its oldest reading, so every offset is
/// in [0, span); a column never holds two readings of the same time (the later one wins: a
/// redelivered or corrected message); a reading at or before the time of the newest one already cut
/// for its column is a duplicate (a retained message sent again on reconnect, a QoS 1 message sent
/// again after the agent restarted) or too late for its sensor's time order, and is dropped. The
/// newest cut time per column survives restarts through <see cref="Restore"/> and <see cref="CopyMarks"/>.
/// </para>
/// Not thread-safe: one batcher owns it. Column storage is kept and reused between batches.
/// </summary>
internal sealed class SensorBatchBuilder
{
    private readonly SensorCatalog _catalog;
    private readonly string _device;
    private readonly long _spanMs;
    private readonly int _maxReadings;
    private readonly List<long>[] _times;
    private readonly List<float>[] _values;
    private readonly long[] _lastCutMs;
    private long _oldestMs;
    private long _newestMs;

    public SensorBatchBuilder(SensorCatalog catalog, string device, TimeSpan span, int maxReadings)
    {
        _catalog = catalog;
        _device = device;
        _spanMs = (long)span.TotalMilliseconds;
        _maxReadings = maxReadings;
        int columns = catalog.Columns.Count;
        _times = new List<long>[columns];
        _values = new List<float>[columns];
        _lastCutMs = new long[columns];
        for (int i = 0; i < columns; i++)
        {
            _times[i] = [];
            _values[i] = [];
            _lastCutMs[i] = long.MinValue;
        }
    }

    /// <summary>Readings held (duplicates within the batch included until it is cut).</summary>
    public int Count { get; private set; }

    /// <summary>Readings dropped as duplicates so far.</summary>
    public long Duplicates { get; private set; }

    /// <summary>Whether <paramref name="reading"/> can join the open batch without breaking its span or size.</summary>
    public bool Fits(in SensorReading reading) =>
        Count == 0
        || (Count < _maxReadings
            && Math.Max(_newestMs, reading.UnixTimeMs) - Math.Min(_oldestMs, reading.UnixTimeMs) < _spanMs);

    /// <summary>Adds a reading that <see cref="Fits"/>. Returns false when it was dropped as a duplicate.</summary>
    public bool Add(in SensorReading reading)
    {
        int column = reading.Column;
        if (reading.UnixTimeMs <= _lastCutMs[column])
        {
            Duplicates++;
            return false;
        }

        if (Count == 0)
        {
            _oldestMs = _newestMs = reading.UnixTimeMs;
        }
        else
        {
            _oldestMs = Math.Min(_oldestMs, reading.UnixTimeMs);
            _newestMs = Math.Max(_newestMs, reading.UnixTimeMs);
        }

        _times[column].Add(reading.UnixTimeMs);
        _values[column].Add(reading.Value);
        Count++;
        return true;
    }

    /// <summary>Takes the newest stored time per sensor from before a restart (<see cref="SensorHighWaterMarks"/>).</summary>
    public void Restore(IReadOnlyDictionary<string, long> marks)
    {
        for (int c = 0; c < _lastCutMs.Length; c++)
        {
            if (marks.TryGetValue(SensorHighWaterMarks.Key(_catalog.Columns[c]), out long ms))
            {
                _lastCutMs[c] = Math.Max(_lastCutMs[c], ms);
            }
        }
    }

    /// <summary>Raises <paramref name="marks"/> to the newest cut time of every column that has one.</summary>
    public void CopyMarks(Dictionary<string, long> marks)
    {
        for (int c = 0; c < _lastCutMs.Length; c++)
        {
            if (_lastCutMs[c] != long.MinValue)
            {
                string key = SensorHighWaterMarks.Key(_catalog.Columns[c]);
                marks[key] = Math.Max(_lastCutMs[c], marks.GetValueOrDefault(key, long.MinValue));
            }
        }
    }

    /// <summary>Builds the batch from what is held and empties the builder. Returns null when it held nothing.</summary>
    public TelemetryBatch? Cut(out int readings)
    {
        readings = 0;
        if (Count == 0)
        {
            return null;
        }

        var batch = new TelemetryBatch { DeviceId = _device, BaseTimeUnixMs = _oldestMs };
        for (int c = 0; c < _times.Length; c++)
        {
            var times = _times[c];
            if (times.Count == 0)
            {
                continue;
            }

            var values = _values[c];
            int kept = SortAndDeduplicate(times, values);
            Duplicates += times.Count - kept;
            readings += kept;
            _lastCutMs[c] = Math.Max(_lastCutMs[c], times[kept - 1]);
            Append(batch, _catalog.Columns[c], times, values, kept);
            times.Clear();
            values.Clear();
        }

        Count = 0;
        return batch;
    }

    private void Append(TelemetryBatch batch, SensorColumn column, List<long> times, List<float> values, int count)
    {
        switch (column.Kind)
        {
            case SensorColumnKind.Temperature:
                var temperature = new TemperatureColumns { Zone = column.Zone };
                for (int i = 0; i < count; i++)
                {
                    temperature.OffsetMs.Add((uint)(times[i] - _oldestMs));
                    temperature.TemperatureC.Add(values[i]);
                }

                batch.Temperatures.Add(temperature);
                break;
            case SensorColumnKind.FuelLevel:
                var fuel = new FuelColumns { TankCapacityL = _catalog.FuelTankCapacityL };
                for (int i = 0; i < count; i++)
                {
                    fuel.OffsetMs.Add((uint)(times[i] - _oldestMs));
                    fuel.LevelPercent.Add(values[i]);
                }

                batch.Fuel = fuel;
                break;
            case SensorColumnKind.Scalar:
            default:
                var scalar = new ScalarColumns { Kind = column.Scalar, Name = column.CustomName };
                for (int i = 0; i < count; i++)
                {
                    scalar.OffsetMs.Add((uint)(times[i] - _oldestMs));
                    scalar.Value.Add(values[i]);
                }

                batch.Scalars.Add(scalar);
                break;
        }
    }

    /// <summary>
    /// Sorts one column by time, stably (an insertion sort: readings come nearly in order, so this is
    /// linear in practice), then keeps the last reading of each time. Returns how many are kept, at the front.
    /// </summary>
    private static int SortAndDeduplicate(List<long> times, List<float> values)
    {
        for (int i = 1; i < times.Count; i++)
        {
            long t = times[i];
            float v = values[i];
            int j = i - 1;
            while (j >= 0 && times[j] > t)
            {
                times[j + 1] = times[j];
                values[j + 1] = values[j];
                j--;
            }

            times[j + 1] = t;
            values[j + 1] = v;
        }

        int kept = 0;
        for (int i = 0; i < times.Count; i++)
        {
            if (kept > 0 && times[kept - 1] == times[i])
            {
                values[kept - 1] = values[i]; // same time again: the later message wins
                continue;
            }

            times[kept] = times[i];
            values[kept] = values[i];
            kept++;
        }

        return kept;
    }
}
