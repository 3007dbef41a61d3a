using Convoy.Contracts.Alerts.V1;
using Convoy.Contracts.Telemetry.V1;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using static Convoy.AlertEngine.Tests.RuleTestKit;

namespace Convoy.AlertEngine.Tests;

/// <summary>
/// The engine as it runs (host, consumer group, producer) on the embedded Kafka, with a rules
/// folder and a fake clock: a tenant's file rule fires from telemetry records, a changed file
/// applies without a restart, a silent device fires on the clock alone, and a tenant without a
/// file keeps the default rules.
/// </summary>
public sealed class RuleFilesOnKafkaTests : IAsyncLifetime
{
    private readonly string _rules = Directory.CreateTempSubdirectory("convoy-rules-").FullName;
    private readonly FakeTimeProvider _time = new(DateTimeOffset.FromUnixTimeMilliseconds(Base));
    private EngineKafka _kafka = null!;
    private IHost _engine = null!;
    private readonly Dictionary<string, ulong> _sequences = [];

    public async Task InitializeAsync()
    {
        _kafka = new EngineKafka(partitions: 2, alertTopics: true, "acme", "globex");

        File.WriteAllText(Path.Combine(_rules, "acme.yaml"), """
            rules:
              - id: file-warm
                kind: threshold
                above: 5
                durationMinutes: 2
              - id: gone-silent
                kind: silent
                silentMinutes: 30
            """);
        _engine = AlertEngineHost.Build(["--AlertEngine:MetricsPort=0", "--AlertEngine:GroupId=rules-" + Guid.NewGuid().ToString("N"), $"--AlertEngine:RulesFolder={_rules}"], services =>
        {
            services.AddSingleton(_kafka.Cluster);
            services.AddSingleton<TimeProvider>(_time);
        });
        await _engine.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _engine.StopAsync();
        _engine.Dispose();
        _kafka.Dispose();
        Directory.Delete(_rules, recursive: true);
    }

    [Fact]
    public async Task Engine_RulesFileChangesAndSilence_AlertsFollowTheFileAndTheClock()
    {
        // The file's rule fires for acme; globex (no file) has the default reefer rule (above 8 for 5 min), not reached at 6 degC.
        await Send("acme", Temperatures("truck-1", 0, 4, _ => 6f));
        await Send("globex", Temperatures("truck-9", 0, 4, _ => 6f));
        var fired = await Alerts("acme", 1);
        Assert.Equal("file-warm", fired[0].RuleId);

        // Raise the threshold in the file: the next excursion at 6 degC no longer fires it, a new rule does.
        File.WriteAllText(Path.Combine(_rules, "acme.yaml"), """
            rules:
              - id: file-warm
                kind: threshold
                above: 50
              - id: file-cold
                kind: threshold
                below: 7
                durationMinutes: 1
            """);
        string device = "";
        await Eventually.HoldsAsync(async () =>
        {
            // A new device each try, so each try starts fresh until the reload has applied.
            device = "truck-" + Guid.NewGuid().ToString("N")[..8];
            await Send("acme", Temperatures(device, 10, 3, _ => 6f));
            var all = _kafka.Alerts("acme");
            return all.Any(a => a.RuleId == "file-cold" && a.DeviceId == device);
        }, EngineOnKafka.Patience, "the new rule file's file-cold rule to alert a fresh device");

        // The device the new file applied to was not alerted by the old threshold (now above 50).
        Assert.DoesNotContain(_kafka.Alerts("acme"), a => a.RuleId == "file-warm" && a.DeviceId == device);

        // Silent: nothing more from truck-1; the fake clock passes 30 minutes; the engine fires on the clock alone.
        // (gone-silent was removed by the new file, so put it back first.)
        File.WriteAllText(Path.Combine(_rules, "acme.yaml"), "rules:\n  - id: gone-silent\n    kind: silent\n    silentMinutes: 30\n");
        await Eventually.HoldsAsync(async () =>
        {
            await Send("acme", Temperatures("truck-2", 20, 1, _ => 6f));
            _time.Advance(TimeSpan.FromMinutes(31));
            return _kafka.Alerts("acme").Any(a => a.RuleId == "gone-silent" && a.DeviceId == "truck-2" && a.State == AlertState.Firing);
        }, EngineOnKafka.Patience, "the silent rule to fire on the fake clock alone");
        Assert.Empty(_kafka.Alerts("globex"));
    }

    internal Task Send(string tenant, TelemetryBatch batch)
    {
        ulong sequence = _sequences[tenant + "/" + batch.DeviceId] = _sequences.GetValueOrDefault(tenant + "/" + batch.DeviceId) + 1;
        return _kafka.SendAsync(tenant, sequence, batch);
    }

    private async Task<List<Alert>> Alerts(string tenant, int atLeast)
    {
        List<Alert> alerts = [];
        await Eventually.HoldsAsync(() => (alerts = _kafka.Alerts(tenant)).Count >= atLeast, EngineOnKafka.Patience, $"{atLeast} alert(s) for {tenant}");
        return alerts;
    }

}
