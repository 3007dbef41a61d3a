using System.Globalization;
using System.Text;
using Convoy.Contracts.Fleet.V1;
using Convoy.FleetHistory.Projection;
using Convoy.FleetHistory.Store;

namespace Convoy.FleetHistory.Reports;

/// <summary>Reads what a device's daily report needs from the store, and writes reports as CSV.</summary>
internal static class DailyReportReader
{
    private const int Page = 100_000;

    public static List<DailySummary> Device(IFleetStore store, string tenant, string device, long fromMs, long toMs, IReadOnlyList<ZoneRange> ranges)
    {
        // A day's first interval may start at a fix up to MaxGap before midnight.
        var fixes = All(after => store.Track(tenant, device, fromMs - DailyReport.MaxGapMs, toMs, after, Page), p => p.TimeUnixMs);
        var speed = Minutes(store, tenant, device, TelemetryFold.Speed, 0, fromMs, toMs);
        var fuel = Minutes(store, tenant, device, TelemetryFold.Fuel, 0, fromMs - DailyReport.MinuteMs, toMs);
        var zones = ranges.Select(r => (r, (IReadOnlyList<Rollup>)Minutes(store, tenant, device, TelemetryFold.Temperature, r.Zone, fromMs, toMs))).ToList();
        return DailyReport.Compute(device, fromMs, toMs, fixes, speed, fuel, zones);
    }

    private static List<Rollup> Minutes(IFleetStore store, string tenant, string device, string sensor, uint zone, long fromMs, long toMs) =>
        All(after => store.Rollups(tenant, device, sensor, zone, Resolution.Minute, fromMs, toMs, after, Page), r => r.StartUnixMs);

    private static List<T> All<T>(Func<long, IReadOnlyList<T>> page, Func<T, long> key)
    {
        var all = new List<T>();
        long after = long.MinValue;
        while (true)
        {
            var rows = page(after);
            all.AddRange(rows);
            if (rows.Count < Page)
            {
                return all;
            }

            after = key(rows[^1]);
        }
    }

    /// <summary>One row per device, day and zone (one row per device and day when no zone is reported on).</summary>
    public static string Csv(IEnumerable<DailySummary> days)
    {
        var c = CultureInfo.InvariantCulture;
        var csv = new StringBuilder();
        csv.Append("device_id,day,distance_km,moving_min,idle_min,parked_min,fuel_used_pct,fuel_refuelled_pct,fuel_unexplained_drop_pct,fuel_unexplained_drops,")
            .Append("zone,min_c,max_c,covered_min,in_range_pct,excursions,longest_excursion_min,worst_c\n");
        foreach (var day in days)
        {
            string common = string.Create(c,
                $"{day.DeviceId},{DateTimeOffset.FromUnixTimeMilliseconds(day.DayStartUnixMs):yyyy-MM-dd},{day.DistanceKm:0.###},{day.MovingMs / 60_000.0:0.##},{day.IdleMs / 60_000.0:0.##},{day.ParkedMs / 60_000.0:0.##}," +
                $"{day.FuelUsedPercent:0.##},{day.FuelRefuelledPercent:0.##},{day.FuelUnexplainedDropPercent:0.##},{day.FuelUnexplainedDrops},");
            if (day.Zones.Count == 0)
            {
                csv.Append(common).Append(",,,,,,,\n");
                continue;
            }

            foreach (var zone in day.Zones)
            {
                csv.Append(common).Append(string.Create(c,
                    $"{zone.Zone},{zone.MinC:0.##},{zone.MaxC:0.##},{zone.CoveredMs / 60_000},{zone.InRangeShare * 100:0.##},{zone.Excursions},{zone.LongestExcursionMs / 60_000},{zone.WorstC:0.##}\n"));
            }
        }

        return csv.ToString();
    }
}
