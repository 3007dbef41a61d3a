using System.Net;
using Microsoft.Extensions.DependencyInjection;

namespace Convoy.AlertEngine.Tests;

/// <summary>
/// The engine's operations port (AlertEngine:MetricsPort, plain HTTP): /healthz, /readyz (Kafka
/// reachable, rules loaded) and /metrics with the figures an operator alerts on: consumer lag per
/// partition, batches evaluated, evaluation latency, state size and rule errors.
/// </summary>
[Collection(ProcessMetrics.Name)]
public sealed class OperationsPortTests : IDisposable
{
    // ASP.NET Core logs each failing check at Error, naming it and why: expected while Kafka is down.
    private const string UnhealthyCheckLogged = "HealthCheckEnd";
    private readonly HttpClient _http = new();
    private readonly TempFolder _rules = new("engine-ops-rules");

    public void Dispose()
    {
        _http.Dispose();
        _rules.Dispose();
    }

    [Fact]
    public async Task RunningEngine_AnswersTheProbes_AndExportsLagPerPartition_Evaluations_LatencyAndStateSize()
    {
        await using var collector = await TestCollector.StartAsync(new TestCollectorSetup { Tenants = ["acme"], AlertTopics = true });
        await using var engine = await TestAlertEngine.StartAsync(collector.Kafka);
        using (var truck = collector.Device("acme", "reefer-7"))
        {
            await truck.SendAsync(BatchBuilder.For("reefer-7", 1).StartingAgo(TimeSpan.FromSeconds(5)).Temperatures(1, 3f, 4f));
        }

        Assert.Equal((HttpStatusCode.OK, "Healthy\n"), await GetAsync(engine, "/healthz"));
        Assert.Equal((HttpStatusCode.OK, "Healthy\n"), await GetAsync(engine, "/readyz"));
        string metrics = await Eventually.ReturnsAsync(async () => (await GetAsync(engine, "/metrics")).Body,
            static text => text.Contains("convoy_alertengine_batches_evaluated_total{", StringComparison.Ordinal)
                && text.Contains("convoy_alertengine_consumer_lag{", StringComparison.Ordinal),
            TimeSpan.FromSeconds(30), "the evaluated batch and the partition's lag in /metrics");

        Assert.Matches("""convoy_alertengine_batches_evaluated_total\{[^}]*tenant="acme"[^}]*\} 1""", metrics);
        // The engine has read everything in its partition: lag 0, named by topic and partition.
        Assert.Matches("""convoy_alertengine_consumer_lag\{[^}]*partition="0"[^}]*topic="telemetry.acme"[^}]*\} 0""", metrics);
        Assert.Matches("""convoy_alertengine_evaluation_duration_seconds_count\{[^}]*tenant="acme"[^}]*\} 1""", metrics);
        Assert.Matches("""convoy_alertengine_state_devices(\{[^}]*\})? 1""", metrics);
        Assert.Matches("""convoy_alertengine_rules_invalid_files(\{[^}]*\})? 0""", metrics);
        Assert.Contains("service_name=\"convoy-alert-engine\"", metrics, StringComparison.Ordinal);
        Assert.DoesNotContain("unknown_service", metrics, StringComparison.Ordinal);
        // Nothing else is served there.
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync(engine, "/")).Status);
    }

    [Fact]
    public async Task KafkaUnreachable_ReadyzIs503NamingKafka_WhileHealthzStaysHealthy()
    {
        string brokers = $"127.0.0.1:{LoopbackPorts.Free()}";
        var logs = new TestLogs().ExpectErrors(UnhealthyCheckLogged);
        using var engine = AlertEngineHost.Build(
            ["--AlertEngine:MetricsPort=0", $"--Kafka:BootstrapServers={brokers}", "--AlertEngine:GroupId=ops-" + Guid.NewGuid().ToString("N")],
            services => services.AddSingleton(logs.Provider));
        await engine.StartAsync();
        try
        {
            var metricsAddress = AlertEngineHost.MetricsAddress(engine)!;
            Assert.Equal((HttpStatusCode.OK, "Healthy\n"), await GetAsync(metricsAddress, "/healthz"));
            var (status, report) = await GetAsync(metricsAddress, "/readyz");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
            Assert.StartsWith("Unhealthy\n", report, StringComparison.Ordinal);
            Assert.Contains($"kafka: no broker answered within 2 s at {brokers}", report, StringComparison.Ordinal);
            Assert.DoesNotContain("rules:", report, StringComparison.Ordinal);
        }
        finally
        {
            await engine.StopAsync();
        }

        logs.AssertNoUnexpectedErrors();
        logs.Dispose();
    }

    [Fact]
    public async Task RuleFileBreaks_ReadyzStaysUp_ButSaysDegradedWithTheFileAndWhy_AndTheGaugeCountsIt()
    {
        const string Warm = "rules:\n  - id: reefer-warm\n    kind: threshold\n    above: 8\n";
        await File.WriteAllTextAsync(_rules.File("acme.yaml"), Warm);
        await using var collector = await TestCollector.StartAsync(new TestCollectorSetup { Tenants = ["acme"], AlertTopics = true });
        await using var engine = await TestAlertEngine.StartAsync(collector.Kafka, null, $"--AlertEngine:RulesFolder={_rules.Path}");
        engine.Logs.ExpectErrors("RulesRejected");
        Assert.Equal((HttpStatusCode.OK, "Healthy\n"), await GetAsync(engine, "/readyz"));

        // Written then renamed, as a deployment does: the folder's watcher never reads half a file.
        await File.WriteAllTextAsync(_rules.File(".acme.yaml.tmp"), Warm + "  - id: broken\n    kind: silent\n    silentMinutes: -3\n");
        File.Move(_rules.File(".acme.yaml.tmp"), _rules.File("acme.yaml"), overwrite: true);

        var (status, report) = await Eventually.ReturnsAsync(() => GetAsync(engine, "/readyz"), static r => r.Body.StartsWith("Degraded", StringComparison.Ordinal),
            TimeSpan.FromSeconds(30), "/readyz to report the broken rule file");
        // Still ready: the tenant keeps its previous rules, and a restart would not mend the file.
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("rules: 1 tenant rule file(s) do not load and keep their previous rules:", report, StringComparison.Ordinal);
        Assert.Contains("acme.yaml: rule 'broken': silentMinutes must be > 0", report, StringComparison.Ordinal);
        Assert.Matches("""convoy_alertengine_rules_invalid_files(\{[^}]*\})? 1""", (await GetAsync(engine, "/metrics")).Body);
        Assert.Matches("""convoy_alertengine_rules_reloads_total\{[^}]*result="rejected"[^}]*tenant="acme"[^}]*\} 1""", (await GetAsync(engine, "/metrics")).Body);
    }

    private Task<(HttpStatusCode Status, string Body)> GetAsync(TestAlertEngine engine, string path) => GetAsync(engine.MetricsAddress, path);

    private async Task<(HttpStatusCode Status, string Body)> GetAsync(Uri address, string path)
    {
        using var response = await _http.GetAsync(new Uri(address, path));
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }
}
