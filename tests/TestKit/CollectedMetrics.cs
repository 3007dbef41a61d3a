using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace Convoy.TestKit;

/// <summary>Totals of a program's own instrument (see <see cref="TestCollector.Metric"/>), by tag.</summary>
public static class CollectedMetrics
{
    /// <summary>The sum of the measurements carrying every one of <paramref name="tags"/>; for an up-down counter watched from the program's start, its current value.</summary>
    public static long Sum(this MetricCollector<long> metric, params (string Tag, string Value)[] tags) =>
        metric.GetMeasurementSnapshot()
            .Where(m => tags.All(t => m.Tags.TryGetValue(t.Tag, out object? value) && Equals(value, t.Value)))
            .Sum(m => m.Value);
}
