namespace Convoy.EdgeAgent.Inputs.Nmea;

/// <summary>What <see cref="GpsClock"/> did to a fix's time. Values index the correction counts; names are the metric's labels.</summary>
internal enum GpsTimeCorrection
{
    /// <summary>The receiver's time agrees with the gateway's clock: kept.</summary>
    None,

    /// <summary>
    /// The receiver's time is off by a whole number of 1,024-week GPS eras (give or take the allowed
    /// difference): the week-number rollover of an old receiver's firmware. The era is added back.
    /// </summary>
    WeekRollover,

    /// <summary>Any other large difference: the fix is stamped with the gateway's time when it was received.</summary>
    ReceiveTime,
}

/// <summary>
/// Checks a live receiver's time against the gateway's clock. GPS counts weeks in 10 bits, so a
/// receiver whose firmware predates a rollover (1999, 2019, ...) reports dates exactly 1,024 weeks
/// back; a batch of those is older than the collector accepts, and would be refused for good. An
/// offset that is an exact multiple of 1,024 weeks (within <see cref="NmeaOptions.MaxClockDifference"/>)
/// is corrected; any other offset beyond it (a receiver's cold-start time, a broken date field) gets
/// the gateway's receive time, so the reading still lands, near when it was taken. Capture replays
/// keep their own time: only live sources (TCP, serial) are checked.
/// </summary>
internal sealed class GpsClock
{
    /// <summary>One GPS era: 1,024 weeks.</summary>
    public const long EraMs = 1024L * 7 * 86_400_000;

    private readonly long _toleranceMs;

    public GpsClock(TimeSpan maxDifference) => _toleranceMs = (long)maxDifference.TotalMilliseconds;

    /// <summary>The time to stamp a fix the receiver timed at <paramref name="fixMs"/> and the gateway received at <paramref name="receivedMs"/>.</summary>
    public long Correct(long fixMs, long receivedMs, out GpsTimeCorrection correction)
    {
        long difference = receivedMs - fixMs;
        if (Math.Abs(difference) <= _toleranceMs)
        {
            correction = GpsTimeCorrection.None;
            return fixMs;
        }

        long eras = (long)Math.Round(difference / (double)EraMs);
        if (eras != 0 && Math.Abs(difference - (eras * EraMs)) <= _toleranceMs)
        {
            correction = GpsTimeCorrection.WeekRollover;
            return fixMs + (eras * EraMs);
        }

        correction = GpsTimeCorrection.ReceiveTime;
        return receivedMs;
    }
}
