using Convoy.AlertEngine.Evaluation;
using Convoy.Contracts.Alerts.V1;
using Convoy.Contracts.Telemetry.V1;
using static Convoy.AlertEngine.Tests.RuleTestKit;

namespace Convoy.AlertEngine.Tests;

/// <summary>
/// Every rule kind of a rule file through the evaluator, from encoded batches: fires once, stays
/// firing through further violations, resolves once (with the firing alert's id), and the
/// hysteresis keeps a value hovering at the limit from flapping.
/// </summary>
public sealed class RuleKindLifecycleUnitTests
{
    private const string ReeferWarm = """
        rules:
          - id: reefer-warm
            kind: threshold
            zone: 1
            above: 8
            durationMinutes: 5
            clearBelow: 7.5
            clearDurationMinutes: 2
            severity: critical
        """;

    [Fact]
    public void Threshold_WarmThenCold_FiresOnceStaysFiringResolvesOnce()
    {
        var kit = new RuleTestKit(ReeferWarm);

        kit.Send(Temperatures("truck-1", 0, 10, _ => 9f));   // fires at minute 5
        kit.Send(Temperatures("truck-1", 10, 10, _ => 9.5f)); // still warm: nothing new
        kit.Send(Temperatures("truck-1", 20, 10, _ => 7f));  // resolves at minute 22

        Assert.Equal([AlertState.Firing, AlertState.Resolved], kit.Alerts.Select(a => a.State));
        Assert.Equal(kit.Alerts[0].AlertId, kit.Alerts[1].AlertId);
        Assert.Equal(Minute(0), kit.Alerts[0].StartTimeUnixMs);
        Assert.Equal(Minute(20), kit.Alerts[1].EndTimeUnixMs);
        Assert.Equal(Severity.Critical, kit.Alerts[0].Severity);
        Assert.Equal("degC", kit.Alerts[0].TriggerUnit);
        Assert.Equal("zone 1 at 9.0 degC, above 8.0 degC for 5 min", kit.Alerts[0].Message);
        Assert.Equal("zone 1 back to 7.0 degC, at or below 7.5 degC for 2 min", kit.Alerts[1].Message);
    }

    [Fact]
    public void Threshold_FlappingAroundTheLimit_HysteresisKeepsOneAlert()
    {
        var kit = new RuleTestKit(ReeferWarm);

        kit.Send(Temperatures("truck-1", 0, 6, _ => 9f));
        // Then 40 minutes alternating 8.2 / 7.8 degC: across the firing limit, never at or below 7.5.
        kit.Send(Temperatures("truck-1", 6, 40, m => m % 2 == 0 ? 8.2f : 7.8f));

        var alert = Assert.Single(kit.Alerts);
        Assert.Equal(AlertState.Firing, alert.State);
    }

    [Fact]
    public void Threshold_Below_FiresForALowBatteryAndResolvesAbove()
    {
        var kit = new RuleTestKit("""
            rules:
              - id: battery-low
                kind: threshold
                signal: batteryVoltage
                below: 11.5
                clearAbove: 12.2
                durationMinutes: 3
            """);

        kit.Send(Scalar("truck-1", ScalarKind.BatteryVoltageV, 0, 10, m => m < 5 ? 12.5f : 11f));
        kit.Send(Scalar("truck-1", ScalarKind.BatteryVoltageV, 10, 10, m => m < 15 ? 12f : 12.6f)); // 12.0 is in the band

        Assert.Equal([AlertState.Firing, AlertState.Resolved], kit.Alerts.Select(a => a.State));
        Assert.Equal(Minute(8), kit.Alerts[0].StartTimeUnixMs + (3 * 60_000));
        Assert.Equal(Minute(15), kit.Alerts[1].EndTimeUnixMs);
        Assert.Equal("V", kit.Alerts[0].TriggerUnit);
        Assert.Equal("battery at 11.0 V, below 11.5 V for 3 min", kit.Alerts[0].Message);
    }

    [Fact]
    public void Range_OutsideThenBackInsideTheNarrowedRange_FiresOnceResolvesOnce()
    {
        var kit = new RuleTestKit("""
            rules:
              - id: cargo-humidity
                kind: range
                signal: humidity
                min: 60
                max: 95
                hysteresis: 2
                durationMinutes: 2
            """);

        // 80 (in), 97 (out, fires after 2 min), 94 (inside the range but within the hysteresis: stays), 90 (resolves).
        kit.Send(Scalar("truck-1", ScalarKind.HumidityPercent, 0, 20, m => m switch { < 2 => 80f, < 8 => 97f, < 12 => 94f, _ => 90f }));

        Assert.Equal([AlertState.Firing, AlertState.Resolved], kit.Alerts.Select(a => a.State));
        Assert.Equal(Minute(2), kit.Alerts[0].StartTimeUnixMs);
        Assert.Equal(Minute(12), kit.Alerts[1].EndTimeUnixMs);
        Assert.Equal("humidity at 97.0 percent, outside its range for 2 min", kit.Alerts[0].Message);
    }

    [Fact]
    public void OverSpeed_AboveForTheDuration_FiresOnceAndResolvesOnce()
    {
        var kit = new RuleTestKit("""
            rules:
              - id: over-speed
                kind: overSpeed
                aboveKmh: 90
                durationMinutes: 2
                clearAtOrBelowKmh: 85
                clearDurationMinutes: 1
            """);

        kit.Send(Gps("truck-1", 0, 10, m => m < 1 ? 80f : 100f));
        kit.Send(Gps("truck-1", 10, 5, m => m < 12 ? 88f : 70f)); // 88: in the band, 70: clears

        Assert.Equal([AlertState.Firing, AlertState.Resolved], kit.Alerts.Select(a => a.State));
        Assert.Equal(Minute(1), kit.Alerts[0].StartTimeUnixMs);
        Assert.Equal(Minute(12), kit.Alerts[1].EndTimeUnixMs);
    }

    [Theory]
    [InlineData("enter", new[] { AlertState.Firing, AlertState.Resolved })]
    [InlineData("exit", new[] { AlertState.Firing, AlertState.Resolved })]
    [InlineData("dwell", new[] { AlertState.Firing, AlertState.Resolved })]
    public void Geofence_EachTrigger_FiresOnceAndResolvesOnce(string trigger, AlertState[] expected)
    {
        string shape = trigger == "exit"
            ? "polygon: [[52.4, 4.8], [52.6, 4.8], [52.6, 5.0], [52.4, 5.0]]"
            : "circle: { latitude: 52.5, longitude: 4.9, radiusM: 1000 }";
        var kit = new RuleTestKit($"""
            rules:
              - id: site
                kind: geofence
                trigger: {trigger}
                {(trigger == "dwell" ? "dwellMinutes: 20" : "durationMinutes: 0")}
                {shape}
            """);
        // enter/dwell: outside for 5 min, inside for 30, outside again. exit: inside 5, outside 30, inside again.
        (double, double) Inside(int m) => (52.5, 4.9);
        (double, double) Far(int m) => (53.5, 6.0);
        Func<int, (double, double)> where = trigger == "exit"
            ? m => m is >= 5 and < 35 ? Far(m) : Inside(m)
            : m => m is >= 5 and < 35 ? Inside(m) : Far(m);

        kit.Send(Gps("truck-1", 0, 20, _ => 30f, where));
        kit.Send(Gps("truck-1", 20, 20, _ => 30f, where));

        Assert.Equal(expected, kit.Alerts.Select(a => a.State));
        Assert.Equal(kit.Alerts[0].AlertId, kit.Alerts[1].AlertId);
        Assert.Equal(Minute(5), kit.Alerts[0].StartTimeUnixMs);
        Assert.Equal(Minute(35), kit.Alerts[1].EndTimeUnixMs);
        if (trigger == "dwell")
        {
            Assert.Equal(Minute(25), kit.Alerts[0].LastPosition.TimeUnixMs); // fired after 20 minutes inside
        }
    }

    [Fact]
    public void FuelDrop_DrainedWhileStationary_FiresOnceWithLitresAndResolvesOnMoving()
    {
        var kit = new RuleTestKit("""
            rules:
              - id: fuel-theft
                kind: fuelDrop
                dropPercent: 10
                withinMinutes: 2
            """);
        var batch = Gps("truck-3", 0, 8, m => m < 6 ? 0f : 40f);
        batch.Fuel = new FuelColumns { TankCapacityL = 500 };
        for (int m = 0; m < 8; m++)
        {
            batch.Fuel.OffsetMs.Add((uint)(m * 60_000));
            batch.Fuel.LevelPercent.Add(m switch { < 2 => 80f, 2 => 74f, 3 => 68f, _ => 66f }); // 12 points in 2 minutes
        }

        kit.Send(batch);

        Assert.Equal([AlertState.Firing, AlertState.Resolved], kit.Alerts.Select(a => a.State));
        Assert.Equal("percent", kit.Alerts[0].TriggerUnit);
        Assert.Equal(12.0, kit.Alerts[0].TriggerValue, 3);
        Assert.Equal("fuel level dropped 12.0 percent (60 L) within 2 min while stationary", kit.Alerts[0].Message);
        Assert.Equal("moving again; 14.0 percent (70 L) of fuel lost while stationary", kit.Alerts[1].Message);
    }

    [Fact]
    public void RateOfChange_RisingFastThenSteady_FiresOnceAndResolvesOnce()
    {
        var kit = new RuleTestKit("""
            rules:
              - id: reefer-rising
                kind: rateOfChange
                risePerMinute: 0.5
                clearDurationMinutes: 3
            """);

        // Steady 4 degC, then rising 1 degC/min from minute 5 to 10 (across a batch boundary at 8), then steady again.
        static float Value(int m) => m switch { <= 5 => 4f, <= 10 => 4f + (m - 5), _ => 9f };
        kit.Send(Temperatures("truck-1", 0, 8, Value));
        kit.Send(Temperatures("truck-1", 8, 12, Value));

        Assert.Equal([AlertState.Firing, AlertState.Resolved], kit.Alerts.Select(a => a.State));
        Assert.Equal(Minute(6), kit.Alerts[0].StartTimeUnixMs);
        Assert.Equal(1.0, kit.Alerts[0].TriggerValue, 3);
        Assert.Equal("degC/min", kit.Alerts[0].TriggerUnit);
        Assert.Equal(Minute(11), kit.Alerts[1].EndTimeUnixMs);
        Assert.Equal("zone 1 rising 1.00 degC/min, faster than 0.50 degC/min", kit.Alerts[0].Message);
    }

    [Fact]
    public void RateOfChange_RiseAcrossTheBatchBoundaryOnly_IsSeen()
    {
        var kit = new RuleTestKit("""
            rules:
              - id: reefer-rising
                kind: rateOfChange
                risePerMinute: 0.5
            """);

        kit.Send(Temperatures("truck-1", 0, 5, _ => 4f));
        kit.Send(Temperatures("truck-1", 5, 5, _ => 6f)); // +2 degC between minute 4 and 5, then steady

        // Fires at the boundary pair, resolves after the default 2 minutes at or below the clear rate.
        Assert.Equal([AlertState.Firing, AlertState.Resolved], kit.Alerts.Select(a => a.State));
        Assert.Equal(Minute(5), kit.Alerts[0].StartTimeUnixMs);
        Assert.Equal(2.0, kit.Alerts[0].TriggerValue, 3);
        Assert.Equal(Minute(6), kit.Alerts[1].EndTimeUnixMs);
    }

    [Fact]
    public void Silent_NoDataForTheDuration_FiresOnceOnTheClockAndResolvesWhenDataReturns()
    {
        var kit = new RuleTestKit("""
            rules:
              - id: gone-silent
                kind: silent
                silentMinutes: 30
                severity: critical
            """);
        kit.Send(Temperatures("truck-1", 0, 5, _ => 4f));

        kit.Time.Advance(TimeSpan.FromMinutes(29));
        kit.Evaluator.Tick(kit.Alerts, null);
        Assert.Empty(kit.Alerts);

        kit.Time.Advance(TimeSpan.FromMinutes(1));
        kit.Evaluator.Tick(kit.Alerts, null);
        kit.Time.Advance(TimeSpan.FromMinutes(45));
        kit.Evaluator.Tick(kit.Alerts, null);
        var fired = Assert.Single(kit.Alerts);
        Assert.Equal(AlertState.Firing, fired.State);
        Assert.Equal(Minute(4), fired.StartTimeUnixMs); // the newest reading before the silence
        Assert.Equal(Severity.Critical, fired.Severity);
        Assert.Equal("min", fired.TriggerUnit);

        kit.Send(Temperatures("truck-1", 80, 5, _ => 4f));
        kit.Evaluator.Tick(kit.Alerts, null);

        Assert.Equal([AlertState.Firing, AlertState.Resolved], kit.Alerts.Select(a => a.State));
        Assert.Equal(fired.AlertId, kit.Alerts[1].AlertId);
        Assert.Equal(Minute(80), kit.Alerts[1].EndTimeUnixMs);
        Assert.Equal("data again after 75 min of silence", kit.Alerts[1].Message);
    }

    [Fact]
    public void Silent_DeviceKeepsSending_NeverFires()
    {
        var kit = new RuleTestKit("""
            rules:
              - id: gone-silent
                kind: silent
                silentMinutes: 10
            """);

        for (int i = 0; i < 12; i++)
        {
            kit.Send(Temperatures("truck-1", i * 5, 5, _ => 4f));
            kit.Time.Advance(TimeSpan.FromMinutes(5));
            kit.Evaluator.Tick(kit.Alerts, null);
        }

        Assert.Empty(kit.Alerts);
        Assert.NotNull(kit.Evaluator.NextDue);
    }

    [Fact]
    public void Scope_TagsAndDevices_ApplyARuleOnlyToThoseDevices()
    {
        var kit = new RuleTestKit("""
            devices:
              truck-1: [reefer]
              truck-3: [tanker]
            rules:
              - id: reefer-warm
                kind: threshold
                above: 8
                tags: [reefer]
              - id: named
                kind: threshold
                above: 20
                devices: [truck-3]
            """);

        foreach (string device in new[] { "truck-1", "truck-2", "truck-3" })
        {
            kit.Send(Temperatures(device, 0, 2, _ => 30f));
        }

        Assert.Equal(["truck-1/reefer-warm", "truck-3/named"], kit.Alerts.Select(a => $"{a.DeviceId}/{a.RuleId}"));
    }

    [Fact]
    public void Catalog_TenantWithoutAFile_GetsTheDefaultRules()
    {
        var kit = new RuleTestKit("""
            rules:
              - id: file-rule
                kind: threshold
                above: 20
            """);
        var options = new AlertEngineOptions();
        options.TemperatureRules.Add(new Rules.TemperatureRuleOptions { Id = "default-warm", For = TimeSpan.Zero });
        var catalog = new Rules.RuleCatalog(Rules.TenantRules.FromOptions(options));
        catalog.Replace(kit.Catalog.Tenants);
        var evaluator = new BatchEvaluator(catalog, kit.Time, TimeSpan.Zero);
        var alerts = new List<Alert>();
        var batch = Temperatures("truck-1", 0, 1, _ => 30f);
        batch.Sequence = 1;

        evaluator.Evaluate("acme", Google.Protobuf.MessageExtensions.ToByteArray(batch), alerts, out _, out _);
        evaluator.Evaluate("globex", Google.Protobuf.MessageExtensions.ToByteArray(batch), alerts, out _, out _);

        Assert.Equal(["acme/file-rule", "globex/default-warm"], alerts.Select(a => $"{a.TenantId}/{a.RuleId}"));
    }
}
