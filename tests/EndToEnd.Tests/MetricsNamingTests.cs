using Convoy.Collector;

namespace Convoy.EndToEnd.Tests;

/// <summary>
/// Every program's /metrics (the cloud programs', and an edge agent's optional one) passes Prometheus' own linter (<c>promtool check metrics</c>):
/// base units (seconds, bytes), <c>_total</c> on counters only, no doubled units, gauges as gauges,
/// and the program named in <c>target_info</c>. The collector, the alert engine and the read side
/// are scraped after a batch went through, a batch was refused and an alert fired, so the
/// series that only exist after such events are linted too.
/// </summary>
public sealed class MetricsNamingTests
{
    public static IEnumerable<object[]> Promtools => Promtool.WhereInstalled;

    [Theory]
    [MemberData(nameof(Promtools), DisableDiscoveryEnumeration = true)]
    public async Task EveryProgramsMetrics_PassPromtoolCheckMetrics(string promtool)
    {
        using var folder = new TempFolder("metrics-naming");
        using var issuer = new TestPartner(folder.File("issuer"));
        await using var collector = await TestCollector.StartAsync(new TestCollectorSetup { Tenants = ["acme"], AlertTopics = true });
        await using var engine = await TestAlertEngine.StartAsync(collector.Kafka, null,
            "--AlertEngine:TemperatureRules:0:Id=warm", "--AlertEngine:TemperatureRules:0:AboveC=8", "--AlertEngine:TemperatureRules:0:For=00:00:00");
        await using var history = await TestFleetHistory.StartAsync(collector.Kafka, issuer);
        using (var truck = collector.Device("acme", "reefer-1"))
        {
            await truck.SendAsync(BatchBuilder.For("reefer-1", 1).StartingAgo(TimeSpan.FromSeconds(10)).Gps(2, static _ => 50f).Temperatures(1, 12f, 12.5f));
        }

        using (var truck = collector.Device("acme", "reefer-2"))
        {
            // Refused (a day ahead of the collector's clock): the refusal series carry a status and a reason.
            var refused = await Assert.ThrowsAsync<Grpc.Core.RpcException>(() => truck.SendAsync(BatchBuilder.For("reefer-2", 1).StartingAt(DateTimeOffset.UtcNow.AddDays(1).ToUnixTimeMilliseconds()).Temperatures(1, 4f)));
            Assert.Equal(Grpc.Core.StatusCode.InvalidArgument, refused.StatusCode);
        }

        using var http = new HttpClient();
        string engineMetrics = await Eventually.ReturnsAsync(() => http.GetStringAsync(new Uri(engine.MetricsAddress, "/metrics")),
            static text => text.Contains("convoy_alertengine_alerts_total{", StringComparison.Ordinal) && text.Contains("convoy_alertengine_consumer_lag{", StringComparison.Ordinal),
            Eventually.DefaultTimeout, "the alert and the lag in the engine's /metrics");
        string historyMetrics = await Eventually.ReturnsAsync(() => http.GetStringAsync(new Uri(history.HttpAddress, "/metrics")),
            static text => text.Contains("convoy_fleethistory_records_total{", StringComparison.Ordinal) && text.Contains("convoy_fleethistory_consumer_lag{", StringComparison.Ordinal),
            Eventually.DefaultTimeout, "projected records and the lag in the read side's /metrics");
        string collectorMetrics = await http.GetStringAsync(CollectorHost.MetricsAddress(collector.App)!);

        // A simulated truck's agent with its metrics port (off by default), once its uplink carried a batch.
        int agentPort = LoopbackPorts.Free();
        string agentMetrics;
        using (var agent = EdgeAgent.EdgeAgentHost.Build(
        [
            $"--EdgeAgent:Collectors:0={collector.Address}", "--EdgeAgent:DevCertificates=true", $"--EdgeAgent:CertificatesFolder={collector.Folder}",
            "--EdgeAgent:Simulator:Trucks=1", "--EdgeAgent:Simulator:Tenant=acme", "--EdgeAgent:Simulator:StartInPast=00:10:00", "--EdgeAgent:Simulator:TimeScale=60",
            $"--EdgeAgent:MetricsPort={agentPort}",
        ]))
        {
            await agent.StartAsync();
            agentMetrics = await Eventually.ReturnsAsync(() => http.GetStringAsync(new Uri($"http://127.0.0.1:{agentPort}/metrics")),
                static text => text.Contains("convoy_edge_batches_acknowledged_total{", StringComparison.Ordinal), Eventually.DefaultTimeout, "an acknowledged batch in the agent's /metrics");
            await agent.StopAsync();
        }

        var problems = new List<string>();
        foreach (var (program, text) in new[] { ("collector", collectorMetrics), ("alert engine", engineMetrics), ("read side", historyMetrics), ("edge agent", agentMetrics) })
        {
            string found = await Promtool.CheckMetricsAsync(promtool, text);
            if (found.Length > 0)
            {
                problems.Add($"{program}:\n{found}");
            }
        }

        Assert.True(problems.Count == 0, string.Join("\n", problems));

        // The alerting rules and the dashboard an operator loads (deploy/) use only series these programs export.
        string rules = File.ReadAllText(Repository.PathOf("deploy", "prometheus", "convoy-alerts.yml"))
            + File.ReadAllText(Repository.PathOf("deploy", "grafana", "convoy-overview.json"));
        string exported = collectorMetrics + engineMetrics + historyMetrics + agentMetrics;
        foreach (string metric in System.Text.RegularExpressions.Regex.Matches(rules, @"\bconvoy_\w+").Select(static m => m.Value).Distinct(StringComparer.Ordinal))
        {
            Assert.True(exported.Contains($"\n{metric}{{", StringComparison.Ordinal) || exported.Contains($"\n{metric} ", StringComparison.Ordinal),
                $"the alerting rules or the dashboard use {metric}, which no program exports");
        }
    }
}
