using Convoy.Contracts.Fleet.V1;
using Convoy.FleetHistory.Reports;

namespace Convoy.FleetHistory.Tests;

public sealed class DailyReportTests
{
    private static readonly long Day = new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();
    private static readonly long Eight = Day + (8 * 3_600_000);

    [Fact]
    public void Driving_CountsDistanceAlongTheFixes_AndMovingIdleAndParkedTime()
    {
        var fixes = new List<TrackPoint>();
        // 30 minutes north at 60 km/h, a fix every 10 s: 30 km.
        double kmPerDegree = DailyReport.Kilometres(new TrackPoint { LatitudeDeg = 52 }, new TrackPoint { LatitudeDeg = 53 });
        for (int i = 0; i <= 180; i++)
        {
            fixes.Add(Fix(Eight + (i * 10_000L), 52 + (i / 6.0 / kmPerDegree), 60f));
        }

        // Then stopped for 30 minutes, a fix a minute: 10 minutes idle, then 20 parked.
        long stop = fixes[^1].TimeUnixMs;
        fixes[^1].SpeedKmh = 0;
        for (int i = 1; i <= 30; i++)
        {
            fixes.Add(Fix(stop + (i * 60_000L), fixes[^1].LatitudeDeg, 0f));
        }

        // Then nothing for two hours, still standing: parked. Then a fix moving again after a 20-minute gap: unknown.
        fixes.Add(Fix(fixes[^1].TimeUnixMs + 7_200_000, fixes[^1].LatitudeDeg, 0f));
        fixes.Add(Fix(fixes[^1].TimeUnixMs + 1_200_000, fixes[^1].LatitudeDeg, 50f));

        var day = Assert.Single(DailyReport.Compute("truck-1", Day, Day + DailyReport.DayMs, fixes, [], [], []));

        Assert.Equal(30.0, day.DistanceKm, 2);
        Assert.Equal(1_800_000, day.MovingMs);
        Assert.Equal(600_000, day.IdleMs);
        Assert.Equal(1_200_000 + 7_200_000, day.ParkedMs);
    }

    [Fact]
    public void Fuel_FallsWhileMovingAreUsed_AFallOverOneStopIsUnexplained_AndRisesAreRefuels()
    {
        var speed = new List<Rollup>();
        var fuel = new List<Rollup>();
        float level = 80;
        for (int m = 0; m < 20; m++)
        {
            long at = Eight + (m * 60_000L);
            bool moving = m < 10 || m >= 16;
            speed.Add(Minute(at, moving ? 70f : 0f, moving ? 80f : 1f, 0));
            level += m switch
            {
                < 10 => -0.2f,              // driving
                10 => 0f,                   // stopped
                >= 11 and <= 13 => -4f,     // standing, 12 points siphoned in three minutes
                14 => 30f,                  // refuelled
                15 => 0.5f,                 // sensor noise
                _ => -0.2f,
            };
            fuel.Add(Minute(at, level, level, level));
        }

        var day = Assert.Single(DailyReport.Compute("truck-1", Day, Day + DailyReport.DayMs, [], speed, fuel, []));

        Assert.Equal(0.2 * 9 + (0.2 * 4), day.FuelUsedPercent, 3);
        Assert.Equal(12, day.FuelUnexplainedDropPercent, 3);
        Assert.Equal(1u, day.FuelUnexplainedDrops);
        Assert.Equal(30, day.FuelRefuelledPercent, 3);
    }

    [Fact]
    public void ColdChain_ShareInRange_Excursions_AndTheWorstReading()
    {
        var range = new ZoneRange(1, 2, 8);
        var minutes = new List<Rollup>();
        float[][] values =
        [
            .. Enumerable.Repeat(new[] { 3f, 6f }, 10),
            [7f, 9.5f], [8f, 11f], [7.5f, 10f],        // a 3-minute excursion, worst 11
            .. Enumerable.Repeat(new[] { 3f, 6f }, 5),
            [1f, 4f],                                  // a 1-minute one, 1 degree below
        ];
        for (int m = 0; m < values.Length; m++)
        {
            minutes.Add(Minute(Eight + (m * 60_000L), values[m][0], values[m][1], values[m][1]));
        }

        var zone = Assert.Single(Assert.Single(DailyReport.Compute("truck-1", Day, Day + DailyReport.DayMs, [], [], [], [(range, minutes)])).Zones);

        Assert.Equal(19 * 60_000, zone.CoveredMs);
        Assert.Equal(15.0 / 19, zone.InRangeShare, 6);
        Assert.Equal(2u, zone.Excursions);
        Assert.Equal(180_000, zone.LongestExcursionMs);
        Assert.Equal(11f, zone.WorstC);
    }

    [Fact]
    public void EveryDayOfTheRange_IsReported_WithDataInTheDayItBelongsTo()
    {
        var range = new ZoneRange(2, -25, -15);
        var minutes = new List<Rollup> { Minute(Day + DailyReport.DayMs + 60_000, -20f, -18f, -18f) };

        var days = DailyReport.Compute("truck-1", Day, Day + (3 * DailyReport.DayMs), [], [], [], [(range, minutes)]);

        Assert.Equal([Day, Day + DailyReport.DayMs, Day + (2 * DailyReport.DayMs)], days.Select(d => d.DayStartUnixMs));
        Assert.Equal([0L, 60_000L, 0L], days.Select(d => d.Zones[0].CoveredMs));
        Assert.Equal([0.0, 1.0, 0.0], days.Select(d => d.Zones[0].InRangeShare));
        Assert.All(days, d => Assert.Equal(-15f, d.Zones[0].WorstC));
    }

    [Fact]
    public void TheCsv_HasOneRowPerDeviceDayAndZone()
    {
        var day = new DailySummary { DeviceId = "truck-1", DayStartUnixMs = Day, DistanceKm = 12.5, MovingMs = 3_600_000, FuelUnexplainedDrops = 1, FuelUnexplainedDropPercent = 12 };
        day.Zones.Add(new ZoneCompliance { Zone = 1, MinC = 2, MaxC = 8, CoveredMs = 600_000, InRangeShare = 0.5, Excursions = 1, LongestExcursionMs = 300_000, WorstC = 11 });
        day.Zones.Add(new ZoneCompliance { Zone = 2, MinC = -25, MaxC = -15, WorstC = -15 });

        string[] lines = DailyReportReader.Csv([day]).TrimEnd('\n').Split('\n');

        Assert.Equal(3, lines.Length);
        Assert.StartsWith("device_id,day,distance_km,", lines[0], StringComparison.Ordinal);
        Assert.Equal("truck-1,2026-12-01,12.5,60,0,0,0,0,12,1,1,2,8,10,50,1,5,11", lines[1]);
        Assert.Equal("truck-1,2026-12-01,12.5,60,0,0,0,0,12,1,2,-25,-15,0,0,0,0,-15", lines[2]);
    }

    private static TrackPoint Fix(long time, double latitude, float speed) => new() { TimeUnixMs = time, LatitudeDeg = latitude, LongitudeDeg = 4.9, SpeedKmh = speed };

    private static Rollup Minute(long start, float min, float max, float last) => new() { StartUnixMs = start, Min = min, Max = max, Mean = (min + max) / 2, Count = 6, Last = last, LastTimeUnixMs = start + 59_000 };
}
