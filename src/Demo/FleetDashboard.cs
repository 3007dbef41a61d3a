using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;
using Confluent.Kafka;
using Convoy.Contracts;
using Convoy.Contracts.Alerts.V1;

namespace Convoy.Demo;

/// <summary>
/// The live one-screen summary: per tenant, readings/s sampled on the trucks, batches and readings
/// acknowledged by the collector, batches evaluated and alerts raised by the engine (from the
/// programs' own meters), and the latest alerts as read back from the alerts.* topics.
/// </summary>
internal sealed class FleetDashboard : IDisposable
{
    private static readonly string[] Meters = ["Convoy.Collector", "Convoy.AlertEngine", "Convoy.EdgeAgent", "Convoy.FleetHistory"];
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<(string Tenant, string Instrument), long> _totals = new();
    private readonly ConcurrentQueue<Alert> _latestAlerts = new();
    private readonly Dictionary<string, long> _previousSampled = new(StringComparer.Ordinal);
    private readonly string[] _tenants;
    private DateTime _previousAt = DateTime.UtcNow;

    public FleetDashboard(string[] tenants)
    {
        _tenants = tenants;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (Array.IndexOf(Meters, instrument.Meter.Name) >= 0)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>(OnMeasurement);
        _listener.Start();
    }

    public long Total(string tenant, string instrument) => _totals.TryGetValue((tenant, instrument), out long value) ? value : 0;

    /// <summary>Reads alerts.* from Kafka until cancelled, keeping the latest few for the screen.</summary>
    public void ReadAlerts(string bootstrapServers, CancellationToken cancellationToken)
    {
        using var consumer = new ConsumerBuilder<Ignore, byte[]>(new ConsumerConfig
        {
            BootstrapServers = bootstrapServers,
            GroupId = "convoy-demo-dashboard",
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = false,
            TopicMetadataRefreshIntervalMs = 2_000,
        }).SetLogHandler((_, _) => { }).SetErrorHandler((_, _) => { }).Build();
        consumer.Subscribe(@"^alerts\..+");
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                try
                {
                    var record = consumer.Consume(cancellationToken);
                    // Records with the convoy-record header are events about alerts (acknowledgements), not alerts.
                    if (record?.Message?.Value is { } value && record.Message.Headers?.TryGetLastBytes(AlertRecordHeaders.Record, out _) != true)
                    {
                        _latestAlerts.Enqueue(Alert.Parser.ParseFrom(value));
                        while (_latestAlerts.Count > 6 && _latestAlerts.TryDequeue(out _))
                        {
                        }
                    }
                }
                catch (ConsumeException)
                {
                    // No alerts topic yet.
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
        finally
        {
            consumer.Close();
        }
    }

    /// <summary>The screen as text.</summary>
    public string Render(TimeSpan elapsed, string bootstrapServers, Uri collector, (Uri Queries, string Token, long Lag)? readSide, Uri? console, IEnumerable<string> recentEvents, string logPath, bool stopped = false)
    {
        var now = DateTime.UtcNow;
        double seconds = Math.Max(0.001, (now - _previousAt).TotalSeconds);
        _previousAt = now;
        var text = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        string clock = elapsed.ToString(@"hh\:mm\:ss", c);
        text.AppendLine(stopped ? $"Convoy demo - ran {clock}" : $"Convoy demo - running {clock} - Ctrl+C to stop");
        text.AppendLine(c, $"Collector {collector} (mTLS)   Kafka {bootstrapServers} (embedded mock cluster: IN MEMORY ONLY)");
        if (readSide is { } read)
        {
            text.AppendLine(c, $"Read side {read.Queries} (HTTP/JSON)   projection lag {read.Lag:N0} record(s)   token of acme: {read.Token}");
            text.AppendLine(c, $"  curl -H \"Authorization: Bearer $(cat {read.Token})\" {read.Queries}v1/fleet/state");
        }

        if (console is not null)
        {
            text.AppendLine(c, $"Tenant console {console} in a browser: sign in as a dispatcher of acme or globex (the Development sign-in)");
        }
        text.AppendLine();
        text.AppendLine("tenant     readings/s   readings acked   batches acked   batches evaluated   readings projected   alerts firing/resolved");
        foreach (string tenant in _tenants)
        {
            long sampled = Total(tenant, "convoy.edge.readings.sampled");
            long previous = _previousSampled.TryGetValue(tenant, out long p) ? p : 0;
            _previousSampled[tenant] = sampled;
            text.AppendLine(c, $"{tenant,-10} {(sampled - previous) / seconds,10:0}   {Total(tenant, "convoy.collector.readings.acknowledged"),14:N0}   {Total(tenant, "convoy.collector.batches.acknowledged"),13:N0}   {Total(tenant, "convoy.alertengine.batches.evaluated"),17:N0}   {Total(tenant, "convoy.fleethistory.readings"),18:N0}   {Total(tenant, "convoy.alertengine.alerts/firing"),6:N0} / {Total(tenant, "convoy.alertengine.alerts/resolved"):N0}");
        }

        text.AppendLine();
        text.AppendLine("Latest alerts (read back from Kafka alerts.<tenant>):");
        bool any = false;
        foreach (var alert in _latestAlerts)
        {
            any = true;
            var at = DateTimeOffset.FromUnixTimeMilliseconds(alert.State == AlertState.Firing ? alert.StartTimeUnixMs : alert.EndTimeUnixMs).ToLocalTime();
            text.AppendLine(c, $"  {at:HH:mm} {alert.TenantId,-7} {alert.DeviceId,-10} {(alert.State == AlertState.Firing ? "FIRING  " : "resolved")} {alert.RuleId}: {alert.Message}");
        }

        if (!any)
        {
            text.AppendLine("  (none yet: a failing reefer needs several simulated minutes above 8 degC)");
        }

        text.AppendLine();
        text.AppendLine(c, $"Recent warnings (all logs: {logPath}):");
        bool anyEvent = false;
        foreach (string line in recentEvents)
        {
            anyEvent = true;
            text.AppendLine("  " + (line.Length > 160 ? line[..160] : line));
        }

        if (!anyEvent)
        {
            text.AppendLine("  (none)");
        }

        return text.ToString();
    }

    private void OnMeasurement(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        string? tenant = null;
        string? alertState = null;
        foreach (var tag in tags)
        {
            if (tag.Key == "tenant")
            {
                tenant = tag.Value as string;
            }
            else if (tag.Key == "state")
            {
                alertState = tag.Value as string;
            }
        }

        if (tenant is null)
        {
            return;
        }

        string name = alertState is null ? instrument.Name : instrument.Name + "/" + alertState;
        _totals.AddOrUpdate((tenant, name), value, (_, current) => current + value);
    }

    public void Dispose() => _listener.Dispose();
}
