using System.Globalization;

namespace Convoy.TenantConsole.Components;

/// <summary>A time range a page shows, [From, To) in ms since the Unix epoch, and how it is named.</summary>
public readonly record struct TimeRange(long From, long To, string Name)
{
    public static TimeRange Last(TimeSpan span, DateTimeOffset now, string name) =>
        new(now.Add(-span).ToUnixTimeMilliseconds(), now.ToUnixTimeMilliseconds(), name);

    /// <summary>The whole UTC day.</summary>
    public static TimeRange Day(DateOnly day)
    {
        var start = new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        return new(start.ToUnixTimeMilliseconds(), start.AddDays(1).ToUnixTimeMilliseconds(), day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
    }

    public TimeSpan Length => TimeSpan.FromMilliseconds(To - From);
}
