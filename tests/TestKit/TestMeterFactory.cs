using System.Diagnostics.Metrics;

namespace Convoy.TestKit;

/// <summary>
/// An <see cref="IMeterFactory"/> for a component under test that takes one (its instruments are
/// real; read them with a MetricCollector or MeterListener). Disposing disposes its meters.
/// </summary>
public sealed class TestMeterFactory : IMeterFactory
{
    private readonly List<Meter> _meters = [];

    public Meter Create(MeterOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var meter = new Meter(options.Name, options.Version, options.Tags, scope: this);
        lock (_meters)
        {
            _meters.Add(meter);
        }

        return meter;
    }

    public void Dispose()
    {
        lock (_meters)
        {
            foreach (var meter in _meters)
            {
                meter.Dispose();
            }

            _meters.Clear();
        }
    }
}
