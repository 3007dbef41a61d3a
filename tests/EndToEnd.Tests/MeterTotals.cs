using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Convoy.EndToEnd.Tests;

/// <summary>Adds up the programs' counters by (instrument, tenant), to know what they have done.</summary>
internal sealed class MeterTotals : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<(string Instrument, string Tenant), long> _totals = new();
    private readonly ConcurrentDictionary<(string Instrument, string Tag, string Value), long> _byTag = new();
    private readonly ConcurrentDictionary<(string Instrument, string Tenant, string Tag, string Value), long> _byTenantAndTag = new();

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
            string? tenant = null;
            foreach (var tag in tags)
            {
                if (tag.Key == "tenant" && tag.Value is string named)
                {
                    tenant = named;
                    _totals.AddOrUpdate((instrument.Name, named), value, (_, total) => total + value);
                }
            }

            foreach (var tag in tags)
            {
                if (tag.Value is string text)
                {
                    _byTag.AddOrUpdate((instrument.Name, tag.Key, text), value, (_, total) => total + value);
                    if (tenant is not null)
                    {
                        _byTenantAndTag.AddOrUpdate((instrument.Name, tenant, tag.Key, text), value, (_, total) => total + value);
                    }
                }
            }
        });
        _listener.Start();
    }

    public long this[string instrument, string tenant] => _totals.TryGetValue((instrument, tenant), out long total) ? total : 0;

    /// <summary>The total of an instrument's measurements carrying one tag value, e.g. ("convoy.collector.access.refused", "reason", "token-expired").</summary>
    /// <remarks>Every program in the test process counts here, the tests running beside this one too: for exact counts use the overload with the tenant.</remarks>
    public long Tagged(string instrument, string tag, string value) => _byTag.TryGetValue((instrument, tag, value), out long total) ? total : 0;

    /// <summary>The total of one tenant's measurements of an instrument carrying one tag value: other tests' tenants do not count.</summary>
    public long Tagged(string instrument, string tag, string value, string tenant) =>
        _byTenantAndTag.TryGetValue((instrument, tenant, tag, value), out long total) ? total : 0;

    public void Dispose() => _listener.Dispose();
}
