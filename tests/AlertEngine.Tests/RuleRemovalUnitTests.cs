using Convoy.Contracts.Alerts.V1;
using Google.Protobuf;
using static Convoy.AlertEngine.Tests.RuleTestKit;

namespace Convoy.AlertEngine.Tests;

/// <summary>
/// A rule taken away by a reload while its alert fires: the alert gets its resolved record (same
/// id) at the next tick, whether or not the device sends again, and nothing more comes of the rule.
/// </summary>
public sealed class RuleRemovalUnitTests
{
    private const string WarmAndCold = """
        rules:
          - id: reefer-warm
            kind: threshold
            zone: 1
            above: 8
            durationMinutes: 2
            severity: critical
          - id: reefer-cold
            kind: threshold
            zone: 1
            below: -30
            durationMinutes: 2
        """;

    private const string ColdOnly = """
        rules:
          - id: reefer-cold
            kind: threshold
            zone: 1
            below: -30
            durationMinutes: 2
        """;

    [Fact]
    public void Reload_WithoutAFiringThresholdRule_ResolvesItsAlertOnce()
    {
        var kit = new RuleTestKit(WarmAndCold);
        kit.Send(Temperatures("truck-1", 0, 5, _ => 12f));
        var firing = Assert.Single(kit.Alerts);
        Assert.Equal(AlertState.Firing, firing.State);
        kit.Alerts.Clear();

        kit.Reload(ColdOnly);
        kit.Time.Advance(TimeSpan.FromSeconds(1));
        kit.Evaluator.Tick(kit.Alerts, null);

        var resolved = Assert.Single(kit.Alerts);
        Assert.Equal(AlertState.Resolved, resolved.State);
        Assert.Equal(firing.AlertId, resolved.AlertId);
        Assert.Equal("reefer-warm", resolved.RuleId);
        Assert.Equal(Severity.Critical, resolved.Severity);
        Assert.Equal(firing.StartTimeUnixMs, resolved.StartTimeUnixMs);
        Assert.Equal(Base + 1_000, resolved.EndTimeUnixMs);
        Assert.Contains("no longer applies", resolved.Message, StringComparison.Ordinal);

        kit.Alerts.Clear();
        kit.Evaluator.Tick(kit.Alerts, null);
        kit.Send(Temperatures("truck-1", 5, 5, _ => 12f));
        Assert.Empty(kit.Alerts); // the warm rule is gone; the cold one sees nothing to say
    }

    [Fact]
    public void Reload_KeepingTheFiringRule_ResolvesNothing()
    {
        var kit = new RuleTestKit(WarmAndCold);
        kit.Send(Temperatures("truck-1", 0, 5, _ => 12f));
        kit.Alerts.Clear();

        kit.Reload(WarmAndCold.Replace("below: -30", "below: -25", StringComparison.Ordinal));
        kit.Evaluator.Tick(kit.Alerts, null);
        kit.Send(Temperatures("truck-1", 5, 5, _ => 12f));

        Assert.Empty(kit.Alerts); // still firing, as one alert: no resolve, no second fire
    }

    [Fact]
    public void Reload_WithoutAFiringSilentRule_ResolvesIt_AndTheNextBatchDoesNotAgain()
    {
        var kit = new RuleTestKit("""
            rules:
              - id: gone-silent
                kind: silent
                silentMinutes: 10
            """);
        kit.Send(Temperatures("truck-1", 0, 1, _ => 4f));
        kit.Time.Advance(TimeSpan.FromMinutes(11));
        kit.Evaluator.Tick(kit.Alerts, null);
        var firing = Assert.Single(kit.Alerts);
        Assert.Equal(AlertState.Firing, firing.State);
        kit.Alerts.Clear();

        kit.Reload("""
            rules:
              - id: reefer-warm
                kind: threshold
                zone: 1
                above: 8
            """);
        kit.Evaluator.Tick(kit.Alerts, null);
        var resolved = Assert.Single(kit.Alerts);
        Assert.Equal((AlertState.Resolved, firing.AlertId), (resolved.State, resolved.AlertId));
        kit.Alerts.Clear();

        kit.Send(Temperatures("truck-1", 11, 1, _ => 4f));
        kit.Time.Advance(TimeSpan.FromMinutes(30));
        kit.Evaluator.Tick(kit.Alerts, null);
        Assert.Empty(kit.Alerts);
    }

    [Fact]
    public void Reload_TakingADeviceOutOfTheRulesScope_ResolvesItsAlert()
    {
        var kit = new RuleTestKit("""
            rules:
              - id: named
                kind: threshold
                zone: 1
                above: 8
                devices: [truck-1, truck-2]
            """);
        kit.Send(Temperatures("truck-1", 0, 2, _ => 12f));
        kit.Send(Temperatures("truck-2", 0, 2, _ => 12f));
        Assert.Equal(2, kit.Alerts.Count);
        kit.Alerts.Clear();

        kit.Reload("""
            rules:
              - id: named
                kind: threshold
                zone: 1
                above: 8
                devices: [truck-2]
            """);
        kit.Evaluator.Tick(kit.Alerts, null);

        var resolved = Assert.Single(kit.Alerts);
        Assert.Equal(("truck-1", AlertState.Resolved), (resolved.DeviceId, resolved.State));
    }

    [Fact]
    public void Restore_StateOfARuleGoneMeanwhile_ResolvesItsAlertAtTheNextTick()
    {
        var before = new RuleTestKit(WarmAndCold);
        before.Send(Temperatures("truck-1", 0, 5, _ => 12f));
        var firing = Assert.Single(before.Alerts);
        var snapshots = new List<DeviceRuleState>();
        before.Evaluator.TakeChanged(snapshots);

        // The partition moves to an engine that already has the file without the warm rule.
        var after = new RuleTestKit(ColdOnly);
        Assert.True(after.Evaluator.Restore(DeviceRuleState.Parser.ParseFrom(Assert.Single(snapshots).ToByteArray())));
        after.Evaluator.Tick(after.Alerts, null);

        var resolved = Assert.Single(after.Alerts);
        Assert.Equal((AlertState.Resolved, firing.AlertId, "reefer-warm"), (resolved.State, resolved.AlertId, resolved.RuleId));
        Assert.Equal(Severity.Unspecified, resolved.Severity); // the rule, and so its severity, is not known here any more
        after.Alerts.Clear();
        after.Evaluator.Tick(after.Alerts, null);
        Assert.Empty(after.Alerts);
    }
}
