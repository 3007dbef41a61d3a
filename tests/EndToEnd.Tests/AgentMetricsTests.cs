using System.Globalization;
using System.Text.RegularExpressions;
using Convoy.EdgeAgent;
using Convoy.Pki;
using Microsoft.Extensions.DependencyInjection;

namespace Convoy.EndToEnd.Tests;

/// <summary>
/// A real truck's agent with its optional metrics port (EdgeAgent:MetricsPort; off by default):
/// after a replayed receiver's batches were acknowledged, /metrics shows what the gateway's
/// monitoring needs (buffer, oldest unacknowledged batch, dead-letters, uplink state and
/// reconnects, readings by input, GPS lines by outcome) and passes promtool's linter.
/// </summary>
[Collection(ProcessMetrics.Name)]
public sealed partial class AgentMetricsTests : IAsyncLifetime
{
    private const string Tenant = "metered-co";
    private TestCollector _collector = null!;

    public async Task InitializeAsync() => _collector = await TestCollector.StartAsync([Tenant], "--Collector:MaxBatchAge=3650.00:00:00");

    public async Task DisposeAsync() => await _collector.DisposeAsync();

    [Fact]
    public async Task MetricsPort_ShowsBufferUplinkInputsAndGpsLines_AfterTheReplayWasAcknowledged()
    {
        _collector.Certificates.EnsureDevice(new DeviceIdentity(Tenant, "truck-m"));
        int port = LoopbackPorts.Free();
        using var agent = EdgeAgentHost.Build(
        [
            $"--EdgeAgent:Collectors:0={_collector.Address}",
            "--EdgeAgent:DevCertificates=true",
            $"--EdgeAgent:CertificatesFolder={_collector.Folder}",
            $"--EdgeAgent:Device:Tenant={Tenant}",
            "--EdgeAgent:Device:Id=truck-m",
            "--EdgeAgent:Device:BatchSpan=00:00:02",
            "--EdgeAgent:MaxBatchAge=3650.00:00:00", // the capture is from 2020
            "--EdgeAgent:Nmea:Source=File",
            $"--EdgeAgent:Nmea:Path={TestData.NmeaCapture("nmea-fuzzy-cases.log")}",
            "--EdgeAgent:Nmea:Pacing=AsFastAsPossible",
            $"--EdgeAgent:Buffer:Folder={Path.Combine(_collector.Folder, "buffer")}",
            $"--EdgeAgent:MetricsPort={port}",
        ]);
        await agent.StartAsync();
        var buffer = agent.Services.GetRequiredService<DeviceRegistry>().All[0].Buffer;
        await Eventually.HoldsAsync(() => buffer.LastSequence > 0 && buffer.Acked == buffer.LastSequence && buffer.Count == 0,
            TimeSpan.FromSeconds(30), "every batch of the replayed capture to be acknowledged");

        using var http = new HttpClient();
        string metrics = await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/metrics"));
        await agent.StopAsync();

        Assert.Equal(0, Value(metrics, "convoy_edge_buffer_batches", "tenant", Tenant));
        Assert.Equal(0, Value(metrics, "convoy_edge_buffer_oldest_age_seconds", "tenant", Tenant));
        Assert.True(Value(metrics, "convoy_edge_buffer_size_bytes", "tenant", Tenant) >= 0);
        Assert.Equal(1, Value(metrics, "convoy_edge_uplink_connected", "tenant", Tenant));
        Assert.Equal(0, Value(metrics, "convoy_edge_batches_dead_lettered_total", "tenant", Tenant)); // there from the start, at 0
        Assert.True(Value(metrics, "convoy_edge_readings_sampled_total", "input", "gps") > 0);
        Assert.True(Value(metrics, "convoy_edge_batches_acknowledged_total", "tenant", Tenant) > 0);
        Assert.True(Value(metrics, "convoy_edge_gps_sentences_total", "outcome", "decoded") > 0);
        Assert.Equal(0, Value(metrics, "convoy_edge_gps_sentences_total", "outcome", "bad-checksum")); // every outcome is there, at 0 when it never happened
        Assert.Contains("service_name=\"convoy-edge-agent\"", metrics, StringComparison.Ordinal);

        foreach (string promtool in Promtool.WhereInstalled.Select(static p => (string)p[0]))
        {
            Assert.Equal(string.Empty, await Promtool.CheckMetricsAsync(promtool, metrics));
        }
    }

    [Fact]
    public void MetricsPort_IsOffByDefault()
    {
        Assert.Equal(-1, new EdgeAgentOptions().MetricsPort);
    }

    /// <summary>The value of the first series of <paramref name="name"/> whose <paramref name="label"/> is <paramref name="value"/>.</summary>
    private static double Value(string exposition, string name, string label, string value)
    {
        var series = new Regex($@"^{Regex.Escape(name)}\{{[^}}]*\b{Regex.Escape(label)}=""{Regex.Escape(value)}""[^}}]*\}} (\S+)", RegexOptions.Multiline).Match(exposition);
        Assert.True(series.Success, $"no {name}{{{label}=\"{value}\"}} in:\n{exposition}");
        return double.Parse(series.Groups[1].Value, CultureInfo.InvariantCulture);
    }
}
