using System.Diagnostics.Metrics;
using Convoy.Contracts.Telemetry;
using Convoy.EdgeAgent.Batching;
using Convoy.EdgeAgent.Inputs.Nmea;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Convoy.EdgeAgent;

/// <summary>
/// The agent's state, read when its metrics are collected (only with <c>EdgeAgent:MetricsPort</c>
/// set): per tenant, the batches and bytes waiting for an acknowledgement and the age of the
/// oldest one (by its readings' base time, so a truck offline for hours shows hours), and the GPS
/// receiver's lines by outcome (decoded, no-fix, and each kind of error). The counters of what
/// happened (sent, acknowledged, dead-lettered, reconnects, readings by input) are
/// <see cref="EdgeAgentMetrics"/>'s.
/// </summary>
internal sealed class AgentGauges : IHostedService
{
    private static readonly string[] Outcomes = [.. Enum.GetValues<NmeaOutcome>().Select(Label)];

    private readonly IMeterFactory _meters;
    private readonly DeviceRegistry _devices;
    private readonly TimeProvider _time;
    private readonly GpsBatcher? _gps;

    private readonly EdgeAgentMetrics _metrics;

    public AgentGauges(IMeterFactory meters, EdgeAgentMetrics metrics, DeviceRegistry devices, TimeProvider time, IServiceProvider services)
    {
        _meters = meters;
        _metrics = metrics;
        _devices = devices;
        _time = time;
        _gps = services.GetService<GpsBatcher>();
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (string tenant in _devices.All.Select(static d => d.Identity.Tenant).Distinct(StringComparer.Ordinal))
        {
            _metrics.Announce(tenant);
        }

        var meter = _meters.Create(EdgeAgentMetrics.MeterName);
        meter.CreateObservableGauge("convoy.edge.buffer.batches", () => PerTenant(static b => b.Count), "{batch}",
            "Batches kept and not yet acknowledged by the collector");
        meter.CreateObservableGauge("convoy.edge.buffer.size", () => PerTenant(static b => b.Bytes), "By",
            "Bytes of the batches kept (on disk for a real truck's durable buffer)");
        meter.CreateObservableGauge("convoy.edge.buffer.oldest_age", OldestAge, "s",
            "Age of the oldest unacknowledged batch, by its readings' base time; 0 when nothing waits");
        if (_gps is not null)
        {
            meter.CreateObservableCounter("convoy.edge.gps.sentences", GpsLines, "{sentence}",
                "Lines from the GPS receiver, by outcome: decoded, no-fix, unsupported, or why it was unusable (garbage, truncated, bad-checksum, bad-field, overlong)");
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private IEnumerable<Measurement<long>> PerTenant(Func<Buffering.IBatchBuffer, long> measure) =>
        _devices.All.GroupBy(static d => d.Identity.Tenant, StringComparer.Ordinal)
            .Select(g => new Measurement<long>(g.Sum(d => measure(d.Buffer)), new KeyValuePair<string, object?>("tenant", g.Key)));

    private IEnumerable<Measurement<double>> OldestAge()
    {
        long now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        foreach (var tenant in _devices.All.GroupBy(static d => d.Identity.Tenant, StringComparer.Ordinal))
        {
            long oldest = now;
            foreach (var (_, buffer) in tenant)
            {
                if (buffer.TryGetNext(buffer.Acked, out _, out byte[] bytes) && BatchView.TryRead(bytes, out var batch, out _))
                {
                    oldest = Math.Min(oldest, batch.BaseTimeUnixMs);
                }
            }

            yield return new Measurement<double>(Math.Max(0, now - oldest) / 1000.0, new KeyValuePair<string, object?>("tenant", tenant.Key));
        }
    }

    private IEnumerable<Measurement<long>> GpsLines()
    {
        var statistics = _gps!.Statistics;
        foreach (var outcome in Enum.GetValues<NmeaOutcome>())
        {
            yield return new Measurement<long>(statistics[outcome], new KeyValuePair<string, object?>("outcome", Outcomes[(int)outcome]));
        }
    }

    /// <summary>decoded, no-fix, bad-checksum: the outcome as a label.</summary>
    private static string Label(NmeaOutcome outcome) => outcome switch
    {
        NmeaOutcome.NoFix => "no-fix",
        NmeaOutcome.BadChecksum => "bad-checksum",
        NmeaOutcome.BadField => "bad-field",
        _ => outcome.ToString().ToLowerInvariant(),
    };
}
