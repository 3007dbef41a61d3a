namespace Convoy.TenantConsole.Components.Charts;

/// <summary>A line on a <see cref="TimeChart"/>: times in ms since the Unix epoch, with an optional min/max band per point.</summary>
public sealed record ChartSeries(string Name, string Colour, IReadOnlyList<ChartPoint> Points);

public readonly record struct ChartPoint(long TimeUnixMs, double Value, double? Min = null, double? Max = null);

/// <summary>A horizontal line: a rule's threshold.</summary>
public sealed record ChartThreshold(double Value, string Label);

/// <summary>A shaded stretch of time: an excursion outside the thresholds.</summary>
public readonly record struct ChartSpan(long FromUnixMs, long ToUnixMs);

/// <summary>A marked moment: a refuel, a suspected theft.</summary>
public sealed record ChartMark(long TimeUnixMs, string Label, string Css);

/// <summary>Where things go on a chart of a time range and a value range.</summary>
internal readonly record struct ChartScale(long From, long To, double Low, double High, double Width, double Height, double Left, double Top)
{
    private static readonly double[] Multiples = [1, 2, 5, 10];
    private static readonly long[] TimeSteps = [60_000, 300_000, 900_000, 1_800_000, 3_600_000, 7_200_000, 10_800_000, 21_600_000, 43_200_000, 86_400_000];

    public double X(long time) => Left + (double)(time - From) / Math.Max(1, To - From) * Width;

    public double Y(double value) => Top + (1 - (value - Low) / (High - Low)) * Height;

    /// <summary>A value range with a little room around the data and the thresholds, never empty.</summary>
    public static (double Low, double High) Around(IEnumerable<double> values)
    {
        double low = double.MaxValue, high = double.MinValue;
        foreach (double v in values)
        {
            if (double.IsFinite(v))
            {
                low = Math.Min(low, v);
                high = Math.Max(high, v);
            }
        }

        if (low > high)
        {
            return (0, 1);
        }

        double room = Math.Max((high - low) * 0.1, 0.5);
        return (low - room, high + room);
    }

    /// <summary>About <paramref name="count"/> round values between low and high.</summary>
    public IEnumerable<double> ValueTicks(int count)
    {
        double raw = (High - Low) / count;
        double magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double step = Multiples.Select(m => m * magnitude).First(s => s >= raw);
        for (double v = Math.Ceiling(Low / step) * step; v <= High; v += step)
        {
            yield return v;
        }
    }

    /// <summary>Round times across the range: every minute up to every day.</summary>
    public IEnumerable<long> TimeTicks(int count)
    {
        long span = Math.Max(1, To - From);
        long step = TimeSteps.FirstOrDefault(s => span / s <= count, 86_400_000 * 7);
        for (long t = (From / step + 1) * step; t < To; t += step)
        {
            yield return t;
        }
    }
}
