namespace Convoy.EdgeAgent.Aggregation;

/// <summary>
/// Reduces GPS fixes (fed in time order) with the rule telematics units use: a fix is sent when
/// the truck moved more than <see cref="GpsAggregationOptions.MinDistanceM"/> from the last sent
/// fix, turned more than <see cref="GpsAggregationOptions.MinTurnDeg"/>, or
/// <see cref="GpsAggregationOptions.MaxInterval"/> passed. Pure: the fixes' own times drive it.
/// <para>
/// What must stay true: the first fix, the first and the last fix of every stop (a run of fixes
/// slower than <see cref="GpsAggregationOptions.StopSpeedKmh"/>), the last fix before a gap longer
/// than <c>MaxInterval</c> (a tunnel) and every speeding fix are sent. The last fix of a stop is
/// only known when the truck moves again, so the filter holds one fix back; <see cref="Flush"/>
/// releases it.
/// </para>
/// </summary>
internal sealed class GpsFilter
{
    private const double EarthRadiusM = 6_371_000;
    private readonly bool _raw;
    private readonly double _minDistanceM;
    private readonly double _minTurnDeg;
    private readonly long _maxIntervalMs;
    private readonly double _stopSpeedKmh;
    private readonly double _speedingKmh;
    private bool _hasSent;
    private Fix _lastSent;
    private bool _hasPrevious;
    private Fix _previous;
    private bool _previousSent;

    public GpsFilter(GpsAggregationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _raw = options.Mode == AggregationMode.Raw;
        _minDistanceM = options.MinDistanceM;
        _minTurnDeg = options.MinTurnDeg;
        _maxIntervalMs = (long)options.MaxInterval.TotalMilliseconds;
        _stopSpeedKmh = options.StopSpeedKmh;
        _speedingKmh = options.SpeedingAboveKmh ?? double.PositiveInfinity;
    }

    /// <summary>Speeding fixes sent, so far.</summary>
    public long ExcursionReadings { get; private set; }

    /// <summary>Feeds the next fix (not earlier than the previous one); appends what is sent now to <paramref name="output"/>.</summary>
    public void Push(Fix fix, List<Fix> output)
    {
        bool speeding = fix.SpeedKmh > _speedingKmh;
        if (speeding)
        {
            ExcursionReadings++;
        }

        if (_raw)
        {
            output.Add(fix);
            return;
        }

        bool stopped = fix.SpeedKmh < _stopSpeedKmh;
        bool send;
        if (!_hasSent)
        {
            send = true;
        }
        else
        {
            bool previousStopped = _previous.SpeedKmh < _stopSpeedKmh;
            bool gap = fix.TimeMs - _previous.TimeMs > _maxIntervalMs;
            if (!_previousSent && ((previousStopped && !stopped) || gap))
            {
                // The last fix of a stop (the truck moves again), or the last fix before a gap.
                Send(_previous, output);
            }

            send = speeding || (stopped
                ? !previousStopped || fix.TimeMs - _lastSent.TimeMs >= _maxIntervalMs // the first fix of a stop, or a heartbeat
                : gap || fix.TimeMs - _lastSent.TimeMs >= _maxIntervalMs
                    || Distance(_lastSent, fix) > _minDistanceM
                    || TurnDeg(_lastSent.HeadingDeg, fix.HeadingDeg) > _minTurnDeg);
        }

        if (send)
        {
            Send(fix, output);
        }

        (_hasPrevious, _previous, _previousSent) = (true, fix, send);
    }

    /// <summary>Sends the held fix if it was not sent (the last fix so far is always kept).</summary>
    public void Flush(List<Fix> output)
    {
        if (_hasPrevious && !_previousSent)
        {
            Send(_previous, output);
            _previousSent = true;
        }
    }

    private void Send(Fix fix, List<Fix> output)
    {
        output.Add(fix);
        (_hasSent, _lastSent) = (true, fix);
    }

    /// <summary>Great-circle distance in metres (haversine).</summary>
    internal static double Distance(in Fix a, in Fix b)
    {
        double φ1 = a.LatitudeDeg * Math.PI / 180, φ2 = b.LatitudeDeg * Math.PI / 180;
        double dφ = φ2 - φ1, dλ = (b.LongitudeDeg - a.LongitudeDeg) * Math.PI / 180;
        double h = (Math.Sin(dφ / 2) * Math.Sin(dφ / 2)) + (Math.Cos(φ1) * Math.Cos(φ2) * Math.Sin(dλ / 2) * Math.Sin(dλ / 2));
        return 2 * EarthRadiusM * Math.Asin(Math.Min(1, Math.Sqrt(h)));
    }

    /// <summary>The smaller angle between two headings, 0..180.</summary>
    internal static double TurnDeg(float from, float to)
    {
        double d = Math.Abs(to - from) % 360;
        return d > 180 ? 360 - d : d;
    }
}
