namespace Convoy.EdgeAgent.Aggregation;

/// <summary>
/// Reduces one scalar sensor's readings (fed in time order) by its <see cref="AggregationMode"/>,
/// and keeps raw readings around excursions. Pure: no clock, no I/O; the readings' own times drive
/// it, so a fake clock or a replay gives the same output.
/// <para>
/// What must stay true: output is in time order; every reading outside the band, and every reading
/// within <see cref="SensorAggregationOptions.KeepBefore"/> before or <see cref="SensorAggregationOptions.KeepAfter"/>
/// after one, is sent as it was (<see cref="ExcursionReadings"/> counts them). To see readings
/// before an excursion the filter holds readings back for <c>KeepBefore</c> when a band is set,
/// so its output lags its input by that much; <see cref="Flush"/> releases what it holds.
/// Dead-band: between two sent readings no input differed from the earlier one by more than the dead band.
/// </para>
/// </summary>
internal sealed class SensorFilter
{
    private readonly AggregationMode _mode;
    private readonly long _windowMs;
    private readonly double _deadBand;
    private readonly long _maxIntervalMs;
    private readonly double _below;
    private readonly double _above;
    private readonly bool _hasBand;
    private readonly long _beforeMs;
    private readonly long _afterMs;
    private readonly ReadingRing _held = new();
    private long _rawUntilMs = long.MinValue;

    // Dead band: the last reading sent.
    private bool _hasSent;
    private Reading _lastSent;

    // Window: the open window's extremes, last reading, count and sum (for the mean).
    private bool _windowOpen;
    private long _windowEndMs;
    private Reading _min;
    private Reading _max;
    private Reading _last;
    private int _windowCount;
    private double _windowSum;

    public SensorFilter(SensorAggregationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _mode = options.Mode;
        _windowMs = (long)options.Window.TotalMilliseconds;
        _deadBand = options.DeadBand;
        _maxIntervalMs = (long)options.MaxInterval.TotalMilliseconds;
        _below = options.ExcursionBelow ?? double.NegativeInfinity;
        _above = options.ExcursionAbove ?? double.PositiveInfinity;
        _hasBand = options.HasBand;
        _beforeMs = _hasBand ? (long)options.KeepBefore.TotalMilliseconds : 0;
        _afterMs = (long)options.KeepAfter.TotalMilliseconds;
    }

    /// <summary>
    /// Windows closed since the caller last emptied this list (Window mode): each window's bounds,
    /// count and min/max/mean/last over the readings it reduced, in time order.
    /// </summary>
    public List<WindowSummary> ClosedWindows { get; } = [];

    /// <summary>Readings sent raw because of an excursion, so far.</summary>
    public long ExcursionReadings { get; private set; }

    /// <summary>Whether <paramref name="value"/> lies outside the band.</summary>
    public bool IsExcursion(float value) => _hasBand && (value < _below || value > _above);

    /// <summary>Feeds the next reading (not earlier than the previous one); appends what is sent now to <paramref name="output"/>.</summary>
    public void Push(Reading reading, List<Reading> output)
    {
        if (IsExcursion(reading.Value))
        {
            // Everything older was reduced already; close the open window so output stays in time
            // order, then send the held readings before the excursion, and the excursion itself.
            CloseWindow(output);
            while (_held.Count > 0)
            {
                SendRaw(_held.Dequeue(), output);
            }

            SendRaw(reading, output);
            _rawUntilMs = reading.TimeMs + _afterMs;
            return;
        }

        if (reading.TimeMs <= _rawUntilMs)
        {
            SendRaw(reading, output); // after an excursion: nothing is held (it was all sent)
            return;
        }

        if (_beforeMs == 0)
        {
            Reduce(reading, output);
            return;
        }

        _held.Enqueue(reading);
        while (_held.Peek().TimeMs < reading.TimeMs - _beforeMs)
        {
            Reduce(_held.Dequeue(), output);
        }
    }

    /// <summary>Releases everything held or in an open window (end of input, or shutdown).</summary>
    public void Flush(List<Reading> output)
    {
        while (_held.Count > 0)
        {
            Reduce(_held.Dequeue(), output);
        }

        CloseWindow(output);
    }

    private void SendRaw(Reading reading, List<Reading> output)
    {
        output.Add(reading);
        ExcursionReadings++;
        (_hasSent, _lastSent) = (true, reading);
    }

    private void Reduce(Reading reading, List<Reading> output)
    {
        switch (_mode)
        {
            case AggregationMode.Window:
                if (_windowOpen && reading.TimeMs >= _windowEndMs)
                {
                    CloseWindow(output);
                }

                if (!_windowOpen)
                {
                    _windowOpen = true;
                    _windowEndMs = ((reading.TimeMs / _windowMs) + 1) * _windowMs;
                    (_min, _max, _last) = (reading, reading, reading);
                    (_windowCount, _windowSum) = (1, reading.Value);
                    return;
                }

                // Strict comparisons keep the earliest reading of a repeated extreme.
                _min = reading.Value < _min.Value ? reading : _min;
                _max = reading.Value > _max.Value ? reading : _max;
                _last = reading;
                _windowCount++;
                _windowSum += reading.Value;
                return;
            case AggregationMode.DeadBand:
                if (!_hasSent || Math.Abs((double)reading.Value - _lastSent.Value) > _deadBand || reading.TimeMs - _lastSent.TimeMs >= _maxIntervalMs)
                {
                    output.Add(reading);
                    (_hasSent, _lastSent) = (true, reading);
                }

                return;
            default:
                output.Add(reading);
                return;
        }
    }

    /// <summary>Sends the open window's minimum, maximum and last reading in time order, each once, and records its summary.</summary>
    private void CloseWindow(List<Reading> output)
    {
        if (!_windowOpen)
        {
            return;
        }

        _windowOpen = false;
        // The mean in double, clamped: float rounding must not put it outside [min, max].
        float mean = Math.Clamp((float)(_windowSum / _windowCount), _min.Value, _max.Value);
        ClosedWindows.Add(new WindowSummary(_windowEndMs - _windowMs, _windowMs, _windowCount, _min.Value, _max.Value, mean, _last.Value));
        Reading a = _min, b = _max;
        if (b.TimeMs < a.TimeMs || (b.TimeMs == a.TimeMs && a == _last))
        {
            (a, b) = (b, a); // in time order; on a tie the last reading goes last
        }

        output.Add(a);
        if (b != a)
        {
            output.Add(b);
        }

        if (_last != b && _last != a)
        {
            output.Add(_last);
        }
    }
}
