using Convoy.AlertEngine.Replay;
using Convoy.Contracts.Alerts.V1;
using Microsoft.Extensions.DependencyInjection;
using static Convoy.AlertEngine.Tests.EngineOnKafka;
using static Convoy.AlertEngine.Tests.RuleTestKit;

namespace Convoy.AlertEngine.Tests;

/// <summary>
/// Rule-change replay (<c>Convoy.AlertEngine replay</c>): a tenant's changed rules run over a past
/// range of its telemetry topic, with the engine's own evaluator, into alerts-replay.&lt;tenant&gt;.&lt;run&gt;,
/// while the live engine's alerts and rule state stay as they were.
/// </summary>
public sealed class RuleReplayOnKafkaTests : IAsyncLifetime
{
    private const string StateTopic = "convoy.alert-state";
    private readonly TempFolder _folder = new("rule-replay");
    private EngineKafka _kafka = null!;

    public Task InitializeAsync()
    {
        _kafka = new EngineKafka(partitions: 2, alertTopics: true, "acme");
        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        _kafka.Dispose();
        _folder.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task ChangedRules_ReplayedOverARange_AlertIntoTheRunsTopic_LiveAlertsAndStateUntouched()
    {
        // The live engine: acme's reefer rule fires above 8 degC held for 5 minutes.
        Directory.CreateDirectory(_folder.File("live"));
        File.WriteAllText(Path.Combine(_folder.File("live"), "acme.yaml"), "rules:\n  - id: warm\n    kind: threshold\n    above: 8\n    durationMinutes: 5\n");
        var engine = AlertEngineHost.Build(["--AlertEngine:MetricsPort=0", "--AlertEngine:GroupId=live-" + Guid.NewGuid().ToString("N"), $"--AlertEngine:RulesFolder={_folder.File("live")}",
            $"--AlertEngine:StateTopic={StateTopic}"], services => services.AddSingleton(_kafka.Cluster));
        await engine.StartAsync();

        // First truck-1 at 6 degC, then (after `split`) truck-2 at 9 degC, ten minutes each.
        long start = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 1;
        await _kafka.SendAsync("acme", 1, Temperatures("truck-1", 0, 10, _ => 6f));
        await Task.Delay(20); // the records' times (the collector's, in ms) fall on either side of `split`
        long split = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await Task.Delay(20);
        await _kafka.SendAsync("acme", 1, Temperatures("truck-2", 0, 10, _ => 9f));
        await Eventually.HoldsAsync(() => _kafka.Alerts("acme").Any(static a => a.DeviceId == "truck-2" && a.RuleId == "warm"), Patience,
            "the live engine to alert truck-2 above 8 degC");
        await Eventually.HoldsAsync(() => KafkaTopics.ReadAll(_kafka.BootstrapServers, StateTopic).Count > 0, Patience, "the live engine's rule state checkpoint");
        await engine.StopAsync();
        engine.Dispose();
        var liveAlerts = _kafka.Alerts("acme");
        Assert.DoesNotContain(liveAlerts, static a => a.DeviceId == "truck-1"); // 6 degC is not above 8
        int liveState = KafkaTopics.ReadAll(_kafka.BootstrapServers, StateTopic).Count;

        // The change to try: above 5 held for 2 minutes, and a silent-device rule.
        File.WriteAllText(_folder.File("changed.yaml"), "rules:\n  - id: warm\n    kind: threshold\n    above: 5\n    durationMinutes: 2\n  - id: gone-silent\n    kind: silent\n    silentMinutes: 30\n");
        string to = DateTimeOffset.UtcNow.AddHours(1).ToString("O");
        var (code, output) = await Replay("--tenant", "acme", "--rules", _folder.File("changed.yaml"), "--from", Iso(start), "--to", to, "--run", "lower-threshold");
        Assert.True(code == 0, output);
        Assert.True(output.Contains("2 record(s) read, 2 evaluated", StringComparison.Ordinal), output);
        Assert.True(output.Contains("alerts-replay.acme.lower-threshold", StringComparison.Ordinal), output);
        var replayed = Read("alerts-replay.acme.lower-threshold");
        // Both trucks pass 5 degC for 2 minutes: fired from the third minute's reading (the rule's duration in event time).
        foreach (string device in new[] { "truck-1", "truck-2" })
        {
            var warm = Assert.Single(replayed, a => a.DeviceId == device && a.RuleId == "warm");
            Assert.Equal(AlertState.Firing, warm.State);
            Assert.Equal(Minute(0), warm.StartTimeUnixMs);
            // The replay's clock ran on to --to: both trucks fell silent within it, as the live engine would have said.
            Assert.Contains(replayed, a => a.DeviceId == device && a.RuleId == "gone-silent" && a.State == AlertState.Firing);
        }

        // The range is honoured: from `split` on, only truck-2's record is read.
        (code, output) = await Replay("--tenant", "acme", "--rules", _folder.File("changed.yaml"), "--from", Iso(split), "--to", to, "--run", "from-split");
        Assert.True(code == 0, output);
        Assert.True(output.Contains("1 record(s) read", StringComparison.Ordinal), output);
        Assert.All(Read("alerts-replay.acme.from-split"), static a => Assert.Equal("truck-2", a.DeviceId));

        // After the last record: nothing to read, nothing written.
        (code, output) = await Replay("--tenant", "acme", "--rules", _folder.File("changed.yaml"), "--from", to, "--to", DateTimeOffset.UtcNow.AddHours(2).ToString("O"), "--run", "empty");
        Assert.True(code == 0, output);
        Assert.True(output.Contains("0 record(s) read, 0 evaluated, 0 skipped (duplicates, too late, unreadable); 0 alert(s) written", StringComparison.Ordinal), output);

        // The live side is as it was: the same alerts, no new rule state, no replay alert among them.
        Assert.Equal(liveAlerts.Select(static a => a.AlertId + a.State), _kafka.Alerts("acme").Select(static a => a.AlertId + a.State));
        Assert.Equal(liveState, KafkaTopics.ReadAll(_kafka.BootstrapServers, StateTopic).Count);
    }

    [Fact]
    public async Task BadRequests_AreRefusedWithWhatToDo_AndNothingIsWritten()
    {
        File.WriteAllText(_folder.File("bad.yaml"), "rules:\n  - id: warm\n    kind: threshold\n");
        File.WriteAllText(_folder.File("good.yaml"), "rules:\n  - id: warm\n    kind: threshold\n    above: 5\n");
        var (code, output) = await Replay("--tenant", "acme", "--rules", _folder.File("bad.yaml"), "--from", "2026-12-01T00:00:00Z");
        Assert.Equal(2, code);
        Assert.True(output.Contains("is not a valid rule file; nothing was replayed", StringComparison.Ordinal), output);
        Assert.True(output.Contains("warm", StringComparison.Ordinal), output);

        (code, output) = await Replay("--tenant", "acme", "--rules", _folder.File("good.yaml"), "--from", "yesterday");
        Assert.Equal(2, code);
        Assert.True(output.Contains("must be times in ISO 8601", StringComparison.Ordinal), output);

        (code, output) = await Replay("--tenant", "acme", "--rules", _folder.File("good.yaml"), "--from", "2026-12-02T00:00:00Z", "--to", "2026-12-01T00:00:00Z");
        Assert.Equal(2, code);
        Assert.True(output.Contains("must be after --from", StringComparison.Ordinal), output);

        (code, output) = await Replay("--tenant", "acme", "--rules", _folder.File("good.yaml"), "--from", "2026-12-01T00:00:00Z", "--run", "Not_A.Name");
        Assert.Equal(2, code);
        Assert.True(output.Contains("[a-z0-9-]", StringComparison.Ordinal), output);

        (code, output) = await Replay("--tenant", "nobody", "--rules", _folder.File("good.yaml"), "--from", "2026-12-01T00:00:00Z", "--run", "x");
        Assert.Equal(1, code);
        Assert.True(output.Contains("there is no topic telemetry.nobody", StringComparison.Ordinal), output);

        (code, output) = await Replay("--tenant", "acme");
        Assert.Equal(2, code);
        Assert.True(output.Contains("replay needs --tenant, --rules and --from", StringComparison.Ordinal), output);
    }

    private async Task<(int Code, string Output)> Replay(params string[] args)
    {
        using var output = new StringWriter();
        int code = await ReplayCommand.RunAsync(["replay", .. args], output, services => services.AddSingleton(_kafka.Cluster));
        return (code, output.ToString());
    }

    private List<Alert> Read(string topic) =>
        [.. KafkaTopics.ReadAll(_kafka.BootstrapServers, topic).Select(static r => Alert.Parser.ParseFrom(r.Message.Value))];

    private static string Iso(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms).ToString("O");
}
