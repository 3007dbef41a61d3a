using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Convoy.EndToEnd.Tests;

/// <summary>Adds up the programs' counters by (instrument, tenant), to know what they have done.</summary>
internal sealed class MeterTotals : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<(string Instrument, string Tenant), long> _totals = new();
    private readonly ConcurrentDictionary<(string Instrument, string Tag, string Value), long> _byTag = new();

    public MeterTotals()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name.StartsWith("Convoy.", StringComparison.Ordinal))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "tenant" && tag.Value is string tenant)
                {
                    _totals.AddOrUpdate((instrument.Name, tenant), value, (_, total) => total + value);
                }

                if (tag.Value is string text)
                {
                    _byTag.AddOrUpdate((instrument.Name, tag.Key, text), value, (_, total) => total + value);
                }
            }
        });
        _listener.Start();
    }

    public long this[string instrument, string tenant] => _totals.TryGetValue((instrument, tenant), out long total) ? total : 0;

    /// <summary>The total of an instrument's measurements carrying one tag value, e.g. ("convoy.collector.access.refused", "reason", "token-expired").</summary>
    public long Tagged(string instrument, string tag, string value) => _byTag.TryGetValue((instrument, tag, value), out long total) ? total : 0;

    public void Dispose() => _listener.Dispose();
}
