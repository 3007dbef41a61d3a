using Convoy.Contracts.Fleet.V1;

namespace Convoy.FleetHistory.Reports;

/// <summary>A reefer zone's allowed range, inclusive, in degrees Celsius.</summary>
internal readonly record struct ZoneRange(uint Zone, float MinC, float MaxC);

/// <summary>
/// One device's daily summaries, computed from its projections (the fixes, and the minute rollups
/// of speed, fuel and each reefer zone) over whole UTC days. The same computation serves both
/// stores. Every rule here is documented in docs/configuration/fleet-history.md ("Daily report").
/// </summary>
internal static class DailyReport
{
    public const long DayMs = 86_400_000;
    public const long MinuteMs = 60_000;

    /// <summary>At or above: moving.</summary>
    public const float MovingKmh = 5f;

    /// <summary>Fixes further apart than this leave the time between them out (the truck's whereabouts are unknown).</summary>
    public static readonly long MaxGapMs = (long)TimeSpan.FromMinutes(10).TotalMilliseconds;

    /// <summary>A stop is idle for this long, then parked.</summary>
    public static readonly long IdleForMs = (long)TimeSpan.FromMinutes(10).TotalMilliseconds;

    /// <summary>A rise above this, in points, is a refuel; smaller rises are sensor noise.</summary>
    public const double RefuelPoints = 2;

    /// <summary>A fall over one stop above this, in points, is unexplained.</summary>
    public const double UnexplainedDropPoints = 3;

    private const double EarthRadiusKm = 6371.0088;

    /// <summary>Summaries of each day in [fromMs, toMs) (midnight-aligned), one per day, also for days without data.</summary>
    public static List<DailySummary> Compute(string device, long fromMs, long toMs, IReadOnlyList<TrackPoint> fixes,
        IReadOnlyList<Rollup> speedMinutes, IReadOnlyList<Rollup> fuelMinutes, IReadOnlyList<(ZoneRange Range, IReadOnlyList<Rollup> Minutes)> zones)
    {
        var days = new List<DailySummary>();
        for (long day = fromMs; day < toMs; day += DayMs)
        {
            var summary = new DailySummary { DeviceId = device, DayStartUnixMs = day };
            foreach (var (range, _) in zones)
            {
                summary.Zones.Add(new ZoneCompliance { Zone = range.Zone, MinC = range.MinC, MaxC = range.MaxC, WorstC = float.NaN });
            }

            days.Add(summary);
        }

        DailySummary? Day(long time) => time >= fromMs && time < toMs ? days[(int)((time - fromMs) / DayMs)] : null;
        Driving(fixes, Day);
        Fuel(speedMinutes, fuelMinutes, Day);
        for (int z = 0; z < zones.Count; z++)
        {
            ColdChain(zones[z].Range, zones[z].Minutes, time => Day(time)?.Zones[z]);
        }

        foreach (var day in days)
        {
            foreach (var zone in day.Zones)
            {
                // No excursion: the worst reading is no worse than the range allows.
                if (float.IsNaN(zone.WorstC))
                {
                    zone.WorstC = zone.MaxC;
                }
            }
        }

        return days;
    }

    /// <summary>
    /// Distance along the fixes; time between consecutive fixes by the earlier fix's speed, in the
    /// day that interval starts in. A stop is idle for its first <see cref="IdleForMs"/>, then parked.
    /// </summary>
    private static void Driving(IReadOnlyList<TrackPoint> fixes, Func<long, DailySummary?> dayOf)
    {
        long stopStart = long.MinValue;
        for (int i = 1; i < fixes.Count; i++)
        {
            var previous = fixes[i - 1];
            var fix = fixes[i];
            long span = fix.TimeUnixMs - previous.TimeUnixMs;
            if (span <= 0 || dayOf(previous.TimeUnixMs) is not { } day)
            {
                continue;
            }

            day.DistanceKm += Kilometres(previous, fix);
            bool stopped = previous.SpeedKmh < MovingKmh;
            if (!stopped)
            {
                stopStart = long.MinValue;
            }
            else if (stopStart == long.MinValue)
            {
                stopStart = previous.TimeUnixMs;
            }

            if (span > MaxGapMs)
            {
                // Whereabouts unknown in between, unless it stood still at both ends: then parked.
                if (stopped && fix.SpeedKmh < MovingKmh)
                {
                    day.ParkedMs += span;
                }

                continue;
            }

            if (!stopped)
            {
                day.MovingMs += span;
                continue;
            }

            long idleLeft = Math.Max(0, stopStart + IdleForMs - previous.TimeUnixMs);
            long idle = Math.Min(span, idleLeft);
            day.IdleMs += idle;
            day.ParkedMs += span - idle;
        }
    }

    /// <summary>
    /// From each minute's last fuel level: falls are used fuel, except those over one stop (minutes
    /// whose highest speed is below <see cref="MovingKmh"/>, or without fixes) that add up to more
    /// than <see cref="UnexplainedDropPoints"/>, which are unexplained; rises above
    /// <see cref="RefuelPoints"/> are refuels.
    /// </summary>
    private static void Fuel(IReadOnlyList<Rollup> speedMinutes, IReadOnlyList<Rollup> fuelMinutes, Func<long, DailySummary?> dayOf)
    {
        var moving = new HashSet<long>();
        foreach (var minute in speedMinutes)
        {
            if (minute.Max >= MovingKmh)
            {
                moving.Add(minute.StartUnixMs);
            }
        }

        double stopFall = 0;
        DailySummary? stopDay = null;
        void EndStop()
        {
            if (stopDay is not null && stopFall > 0)
            {
                if (stopFall > UnexplainedDropPoints)
                {
                    stopDay.FuelUnexplainedDropPercent += stopFall;
                    stopDay.FuelUnexplainedDrops++;
                }
                else
                {
                    stopDay.FuelUsedPercent += stopFall;
                }
            }

            stopFall = 0;
            stopDay = null;
        }

        for (int i = 1; i < fuelMinutes.Count; i++)
        {
            var minute = fuelMinutes[i];
            if (dayOf(minute.StartUnixMs) is not { } day)
            {
                continue;
            }

            bool stopped = !moving.Contains(minute.StartUnixMs);
            if (!stopped || day != stopDay)
            {
                EndStop();
            }

            double change = minute.Last - fuelMinutes[i - 1].Last;
            if (change > RefuelPoints)
            {
                day.FuelRefuelledPercent += change;
            }
            else if (change < 0 && stopped)
            {
                stopFall -= change;
                stopDay = day;
            }
            else if (change < 0)
            {
                day.FuelUsedPercent -= change;
            }
        }

        EndStop();
    }

    /// <summary>
    /// A zone's minutes against its range: a minute is in range when its every reading is; runs of
    /// consecutive out-of-range minutes are excursions; the worst reading is the furthest outside.
    /// </summary>
    private static void ColdChain(ZoneRange range, IReadOnlyList<Rollup> minutes, Func<long, ZoneCompliance?> zoneOf)
    {
        long inRange = 0;
        ZoneCompliance? current = null;
        long runStart = long.MinValue, runEnd = long.MinValue;
        void Finish(ZoneCompliance? zone, long inRangeMs)
        {
            if (zone is not null)
            {
                zone.InRangeShare = zone.CoveredMs == 0 ? 0 : (double)inRangeMs / zone.CoveredMs;
            }
        }

        foreach (var minute in minutes)
        {
            var zone = zoneOf(minute.StartUnixMs);
            if (zone != current)
            {
                Finish(current, inRange);
                inRange = 0;
                current = zone;
                runStart = runEnd = long.MinValue;
            }

            if (zone is null)
            {
                continue;
            }

            zone.CoveredMs += MinuteMs;
            bool above = minute.Max > range.MaxC, below = minute.Min < range.MinC;
            if (!above && !below)
            {
                inRange += MinuteMs;
                runStart = runEnd = long.MinValue;
                continue;
            }

            if (runEnd != minute.StartUnixMs)
            {
                zone.Excursions++;
                runStart = minute.StartUnixMs;
            }

            runEnd = minute.StartUnixMs + MinuteMs;
            zone.LongestExcursionMs = Math.Max(zone.LongestExcursionMs, runEnd - runStart);
            float worst = above && (!below || minute.Max - range.MaxC >= range.MinC - minute.Min) ? minute.Max : minute.Min;
            if (float.IsNaN(zone.WorstC) || Outside(worst, range) > Outside(zone.WorstC, range))
            {
                zone.WorstC = worst;
            }
        }

        Finish(current, inRange);
    }

    private static float Outside(float value, ZoneRange range) => Math.Max(value - range.MaxC, range.MinC - value);

    /// <summary>Great-circle distance (haversine) on a sphere of the Earth's mean radius.</summary>
    public static double Kilometres(TrackPoint a, TrackPoint b)
    {
        double lat1 = a.LatitudeDeg * Math.PI / 180, lat2 = b.LatitudeDeg * Math.PI / 180;
        double dLat = lat2 - lat1, dLon = (b.LongitudeDeg - a.LongitudeDeg) * Math.PI / 180;
        double h = (Math.Sin(dLat / 2) * Math.Sin(dLat / 2)) + (Math.Cos(lat1) * Math.Cos(lat2) * Math.Sin(dLon / 2) * Math.Sin(dLon / 2));
        return 2 * EarthRadiusKm * Math.Asin(Math.Min(1, Math.Sqrt(h)));
    }
}
