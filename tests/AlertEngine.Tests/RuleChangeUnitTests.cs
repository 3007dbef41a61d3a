using Convoy.Contracts.Alerts.V1;
using static Convoy.AlertEngine.Tests.RuleTestKit;

namespace Convoy.AlertEngine.Tests;

/// <summary>
/// A rule that keeps its id through a reload but changes what it watches or how long it waits:
/// its state carries on where it still means the same, and is resolved where it no longer does.
/// </summary>
public sealed class RuleChangeUnitTests
{
    [Fact]
    public void Reload_SilentRuleLonger_WhileTheDeviceIsQuiet_StillFiresAtTheNewDuration()
    {
        var kit = new RuleTestKit(Silent(minutes: 10));
        kit.Send(Temperatures("truck-1", 0, 1, _ => 4f));
        kit.Time.Advance(TimeSpan.FromMinutes(5));
        kit.Evaluator.Tick(kit.Alerts, null);

        kit.Reload(Silent(minutes: 12));
        for (int minute = 6; minute <= 60; minute++)
        {
            kit.Time.Advance(TimeSpan.FromMinutes(1));
            kit.Evaluator.Tick(kit.Alerts, null);
            if (minute == 11)
            {
                Assert.Empty(kit.Alerts); // the old 10 minutes have passed; the rule now waits 12
            }
        }

        var firing = Assert.Single(kit.Alerts);
        Assert.Equal(("gone-silent", AlertState.Firing), (firing.RuleId, firing.State));
        Assert.Contains("(rule: 12 min)", firing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Reload_SilentRuleShorter_WhileTheDeviceIsQuiet_FiresAtTheNewDuration()
    {
        var kit = new RuleTestKit(Silent(minutes: 30));
        kit.Send(Temperatures("truck-1", 0, 1, _ => 4f));
        kit.Reload(Silent(minutes: 5));
        for (int minute = 1; minute <= 10; minute++)
        {
            kit.Time.Advance(TimeSpan.FromMinutes(1));
            kit.Evaluator.Tick(kit.Alerts, null);
        }

        var firing = Assert.Single(kit.Alerts);
        Assert.Contains("(rule: 5 min)", firing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Reload_ThresholdRuleMovedToAnotherZone_ResolvesTheOldZonesAlert()
    {
        var kit = new RuleTestKit(Warm(zone: 1));
        kit.Send(Temperatures("truck-1", 0, 5, _ => 12f, zone: 1));
        var firing = Assert.Single(kit.Alerts);
        kit.Alerts.Clear();

        kit.Reload(Warm(zone: 2));
        kit.Time.Advance(TimeSpan.FromSeconds(1));
        kit.Evaluator.Tick(kit.Alerts, null);

        var resolved = Assert.Single(kit.Alerts);
        Assert.Equal((AlertState.Resolved, firing.AlertId), (resolved.State, resolved.AlertId));
        Assert.Contains("no longer applies", resolved.Message, StringComparison.Ordinal);
        var state = kit.Evaluator.Snapshot(kit.Tenant, "truck-1")!;
        Assert.DoesNotContain(state.Thresholds, t => t.RuleId == "reefer-warm" && t.Zone == 1);

        // The rule now watches zone 2, with a state of its own there.
        kit.Alerts.Clear();
        kit.Send(Temperatures("truck-1", 5, 5, _ => 12f, zone: 2));
        var second = Assert.Single(kit.Alerts);
        Assert.Equal(AlertState.Firing, second.State);
        Assert.NotEqual(firing.AlertId, second.AlertId);
    }

    [Fact]
    public void Reload_ThresholdRuleUnchangedZone_KeepsItsFiringAlert()
    {
        var kit = new RuleTestKit(Warm(zone: 1));
        kit.Send(Temperatures("truck-1", 0, 5, _ => 12f, zone: 1));
        kit.Alerts.Clear();

        kit.Reload(Warm(zone: 1, severity: "warning"));
        kit.Time.Advance(TimeSpan.FromSeconds(1));
        kit.Evaluator.Tick(kit.Alerts, null);

        Assert.Empty(kit.Alerts);
        Assert.Contains(kit.Evaluator.Snapshot(kit.Tenant, "truck-1")!.Thresholds, t => t.RuleId == "reefer-warm" && t.Zone == 1);
    }

    private static string Silent(int minutes) => $"""
        rules:
          - id: gone-silent
            kind: silent
            silentMinutes: {minutes}
        """;

    private static string Warm(uint zone, string severity = "critical") => $"""
        rules:
          - id: reefer-warm
            kind: threshold
            zone: {zone}
            above: 8
            durationMinutes: 2
            severity: {severity}
        """;
}
