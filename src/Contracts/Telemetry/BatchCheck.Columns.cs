using System.Text;
using Convoy.Contracts.Telemetry.V1;

namespace Convoy.Contracts.Telemetry;

/// <summary>The per-column checks: equal lengths, offsets that never go backwards, values in range, window summaries.</summary>
public sealed partial class BatchCheck
{
    /// <summary>Every column set, counting the readings; a batch without any is refused.</summary>
    private static BatchCheckResult Columns(in BatchView batch, in ReadingTimes times)
    {
        int readings = 0;
        if (batch.HasGps && Gps(batch.Gps, times, ref readings) is { } badGps)
        {
            return badGps;
        }

        uint zones = 0;
        foreach (var column in batch.Temperatures)
        {
            if (Temperatures(column, times, ref zones, ref readings) is { } badTemperatures)
            {
                return badTemperatures;
            }
        }

        if (batch.HasFuel && Fuel(batch.Fuel, times, ref readings) is { } badFuel)
        {
            return badFuel;
        }

        foreach (var column in batch.Scalars)
        {
            if (Scalars(column, times, ref readings) is { } badScalars)
            {
                return badScalars;
            }
        }

        return readings == 0 ? BatchCheckResult.Invalid(BatchProblems.Empty, "the batch holds no readings") : BatchCheckResult.Valid(readings);
    }

    private static BatchCheckResult? Gps(in GpsView gps, in ReadingTimes times, ref int readings)
    {
        int n = gps.OffsetMs.Length;
        if (gps.LatitudeDeg.Length != n || gps.LongitudeDeg.Length != n || gps.SpeedKmh.Length != n || gps.HeadingDeg.Length != n)
        {
            return BatchCheckResult.Invalid(
                BatchProblems.UnequalColumns,
                $"gps columns differ in length: offset_ms {n}, latitude_deg {gps.LatitudeDeg.Length}, longitude_deg {gps.LongitudeDeg.Length}, speed_kmh {gps.SpeedKmh.Length}, heading_deg {gps.HeadingDeg.Length}");
        }

        int bad;
        if ((bad = Backwards(gps.OffsetMs)) >= 0)
        {
            return BackwardsAt("gps", gps.OffsetMs, bad);
        }

        if (Ahead("gps", -1, gps.OffsetMs, times) is { } ahead)
        {
            return ahead;
        }

        if ((bad = OutOfRange(gps.LatitudeDeg, -90, 90)) >= 0)
        {
            return OutOfRangeAt("gps.latitude_deg", gps.LatitudeDeg[bad], bad, -90, 90);
        }

        if ((bad = OutOfRange(gps.LongitudeDeg, -180, 180)) >= 0)
        {
            return OutOfRangeAt("gps.longitude_deg", gps.LongitudeDeg[bad], bad, -180, 180);
        }

        if ((bad = OutOfRange(gps.SpeedKmh, 0, 400)) >= 0)
        {
            return OutOfRangeAt("gps.speed_kmh", gps.SpeedKmh[bad], bad, 0, 400);
        }

        // [0, 360) as telemetry.proto says: 360 is north, written 0 (see WireHeading).
        if ((bad = OutOfRange(gps.HeadingDeg, 0, 360)) >= 0 || (bad = gps.HeadingDeg.IndexOf(360f)) >= 0)
        {
            return BatchCheckResult.Invalid(float.IsFinite(gps.HeadingDeg[bad]) ? BatchProblems.OutOfRange : BatchProblems.NotFinite,
                $"gps.heading_deg[{bad}] is {gps.HeadingDeg[bad]}; it must be finite and within [0, 360) (north is 0)");
        }

        // Indexes of gateway-timed fixes: within the column set, strictly ascending.
        for (int i = 0; i < gps.GatewayTimed.Length; i++)
        {
            if (gps.GatewayTimed[i] >= (uint)n || (i > 0 && gps.GatewayTimed[i] <= gps.GatewayTimed[i - 1]))
            {
                return BatchCheckResult.Invalid(BatchProblems.OutOfRange,
                    $"gps.gateway_timed[{i}] is {gps.GatewayTimed[i]}; each must index one of the {n} fixes, in strictly ascending order");
            }
        }

        readings += n;
        return null;
    }

    /// <summary>One reefer zone; <paramref name="zones"/> has a bit per zone already seen in the batch.</summary>
    private static BatchCheckResult? Temperatures(in TemperatureView column, in ReadingTimes times, ref uint zones, ref int readings)
    {
        if (column.Zone is < 1 or > 8)
        {
            return BatchCheckResult.Invalid(BatchProblems.BadZone, $"temperatures[{column.Index}].zone {column.Zone} is not 1..8");
        }

        if ((zones & (1u << (int)column.Zone)) != 0)
        {
            return BatchCheckResult.Invalid(BatchProblems.DuplicateZone, $"temperatures[{column.Index}].zone {column.Zone} appears twice in the batch");
        }

        zones |= 1u << (int)column.Zone;
        if (column.TemperatureC.Length != column.OffsetMs.Length)
        {
            return Unequal($"temperatures[{column.Index}]", "temperature_c", column.TemperatureC.Length, column.OffsetMs.Length);
        }

        int bad;
        if ((bad = Backwards(column.OffsetMs)) >= 0)
        {
            return BackwardsAt($"temperatures[{column.Index}]", column.OffsetMs, bad);
        }

        if (Ahead("temperatures", column.Index, column.OffsetMs, times) is { } ahead)
        {
            return ahead;
        }

        if ((bad = OutOfRange(column.TemperatureC, -100, 100)) >= 0)
        {
            return OutOfRangeAt($"temperatures[{column.Index}].temperature_c", column.TemperatureC[bad], bad, -100, 100);
        }

        if (HasWindows(column.Windows) && Windows(column.Windows, "temperatures", column.Index, -100, 100) is { } refused)
        {
            return refused;
        }

        readings += column.OffsetMs.Length;
        return null;
    }

    private static BatchCheckResult? Fuel(in FuelView fuel, in ReadingTimes times, ref int readings)
    {
        if (fuel.LevelPercent.Length != fuel.OffsetMs.Length)
        {
            return Unequal("fuel", "level_percent", fuel.LevelPercent.Length, fuel.OffsetMs.Length);
        }

        int bad;
        if ((bad = Backwards(fuel.OffsetMs)) >= 0)
        {
            return BackwardsAt("fuel", fuel.OffsetMs, bad);
        }

        if (Ahead("fuel", -1, fuel.OffsetMs, times) is { } ahead)
        {
            return ahead;
        }

        if ((bad = OutOfRange(fuel.LevelPercent, 0, 100)) >= 0)
        {
            return OutOfRangeAt("fuel.level_percent", fuel.LevelPercent[bad], bad, 0, 100);
        }

        if (!(float.IsFinite(fuel.TankCapacityL) && fuel.TankCapacityL >= 0))
        {
            return BatchCheckResult.Invalid(BatchProblems.OutOfRange, $"fuel.tank_capacity_l {fuel.TankCapacityL} must be finite and >= 0");
        }

        if (HasWindows(fuel.Windows) && Windows(fuel.Windows, "fuel", -1, 0, 100) is { } refused)
        {
            return refused;
        }

        readings += fuel.OffsetMs.Length;
        return null;
    }

    private static BatchCheckResult? Scalars(in ScalarView column, in ReadingTimes times, ref int readings)
    {
        if (column.Kind == ScalarKind.Unspecified || !Enum.IsDefined(column.Kind))
        {
            return BatchCheckResult.Invalid(BatchProblems.UnknownSensorKind, $"scalars[{column.Index}].kind {(int)column.Kind} is not a known ScalarKind");
        }

        int nameLength = Encoding.UTF8.GetCharCount(column.Name);
        if ((column.Kind == ScalarKind.Custom) != (nameLength is > 0 and <= 64))
        {
            return BatchCheckResult.Invalid(BatchProblems.BadSensorName, $"scalars[{column.Index}].name must be 1..64 characters for SCALAR_KIND_CUSTOM and empty otherwise");
        }

        if (column.Value.Length != column.OffsetMs.Length)
        {
            return Unequal($"scalars[{column.Index}]", "value", column.Value.Length, column.OffsetMs.Length);
        }

        int bad;
        if ((bad = Backwards(column.OffsetMs)) >= 0)
        {
            return BackwardsAt($"scalars[{column.Index}]", column.OffsetMs, bad);
        }

        if (Ahead("scalars", column.Index, column.OffsetMs, times) is { } ahead)
        {
            return ahead;
        }

        if ((bad = OutOfRange(column.Value, float.MinValue, float.MaxValue)) >= 0)
        {
            return OutOfRangeAt($"scalars[{column.Index}].value", column.Value[bad], bad, float.MinValue, float.MaxValue);
        }

        if (HasWindows(column.Windows) && Windows(column.Windows, "scalars", column.Index, float.MinValue, float.MaxValue) is { } refused)
        {
            return refused;
        }

        readings += column.OffsetMs.Length;
        return null;
    }

    private static bool HasWindows(in WindowView windows) => windows.StartUnixMs.Length + windows.Count.Length > 0;

    /// <summary>
    /// A column set's window summaries: equal lengths, plausible bounds and counts, values in the
    /// column's range, min &lt;= mean, last &lt;= max. Null when they hold; the refusal otherwise
    /// (its message names the set, the window and the field; strings are made only then).
    /// </summary>
    private static BatchCheckResult? Windows(in WindowView windows, string set, int index, float min, float max)
    {
        int n = windows.StartUnixMs.Length;
        if (windows.LengthMs.Length != n || windows.Count.Length != n || windows.Min.Length != n || windows.Max.Length != n
            || windows.Mean.Length != n || windows.Last.Length != n)
        {
            return BatchCheckResult.Invalid(BatchProblems.UnequalColumns, $"{Where(set, index)}.windows: every column must have one value per window ({n} start_unix_ms)");
        }

        int bad;
        if ((bad = OutOfRange(windows.Min, min, max)) >= 0 || (bad = OutOfRange(windows.Max, min, max)) >= 0
            || (bad = OutOfRange(windows.Mean, min, max)) >= 0 || (bad = OutOfRange(windows.Last, min, max)) >= 0)
        {
            return BatchCheckResult.Invalid(BatchProblems.OutOfRange, $"{Where(set, index)}.windows[{bad}]: min, max, mean and last must be finite and within [{min}, {max}]");
        }

        for (int i = 0; i < n; i++)
        {
            if (windows.StartUnixMs[i] <= 0 || windows.LengthMs[i] is < 1000 or > 3_600_000 || windows.Count[i] == 0)
            {
                return BatchCheckResult.Invalid(BatchProblems.BadWindow, $"{Where(set, index)}.windows[{i}]: start_unix_ms must be > 0 (was {windows.StartUnixMs[i]}), length_ms 1000..3600000 (was {windows.LengthMs[i]}) and count >= 1 (was {windows.Count[i]})");
            }

            // The mean is computed in double and sent as float: allow its rounding.
            float lo = windows.Min[i], hi = windows.Max[i], slack = MathF.Max(MathF.Abs(lo), MathF.Abs(hi)) * 1e-6f;
            if (lo > hi || windows.Mean[i] < lo - slack || windows.Mean[i] > hi + slack || windows.Last[i] < lo || windows.Last[i] > hi)
            {
                return BatchCheckResult.Invalid(BatchProblems.BadWindow, $"{Where(set, index)}.windows[{i}]: needs min <= mean <= max and min <= last <= max (min {lo}, max {hi}, mean {windows.Mean[i]}, last {windows.Last[i]})");
            }
        }

        return null;
    }

    /// <summary>Index of the first offset smaller than the one before it, or -1.</summary>
    private static int Backwards(ReadOnlySpan<uint> offsets)
    {
        for (int i = 1; i < offsets.Length; i++)
        {
            if (offsets[i] < offsets[i - 1])
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Index of the first value outside [min, max] or not finite (NaN fails every comparison), or -1.</summary>
    private static int OutOfRange(ReadOnlySpan<double> values, double min, double max)
    {
        for (int i = 0; i < values.Length; i++)
        {
            double v = values[i];
            if (!(v >= min && v <= max))
            {
                return i;
            }
        }

        return -1;
    }

    private static int OutOfRange(ReadOnlySpan<float> values, float min, float max)
    {
        for (int i = 0; i < values.Length; i++)
        {
            float v = values[i];
            if (!(v >= min && v <= max))
            {
                return i;
            }
        }

        return -1;
    }

    private static string Where(string set, int index) => index < 0 ? set : $"{set}[{index}]";

    private static BatchCheckResult Unequal(string column, string field, int values, int offsets) =>
        BatchCheckResult.Invalid(BatchProblems.UnequalColumns, $"{column}.{field} has {values} values but {column}.offset_ms has {offsets}");

    private static BatchCheckResult BackwardsAt(string column, ReadOnlySpan<uint> offsets, int index) =>
        BatchCheckResult.Invalid(BatchProblems.TimeBackwards, $"{column}.offset_ms goes backwards at index {index} ({offsets[index - 1]} then {offsets[index]})");

    private static BatchCheckResult OutOfRangeAt(string field, double value, int index, double min, double max) =>
        BatchCheckResult.Invalid(double.IsFinite(value) ? BatchProblems.OutOfRange : BatchProblems.NotFinite, $"{field}[{index}] is {value}; it must be finite and within [{min}, {max}]");
}
