using Convoy.AlertEngine.Alerts;
using Convoy.AlertEngine.Rules;
using Convoy.Contracts.Alerts.V1;
using static Convoy.AlertEngine.Tests.RuleTestKit;

namespace Convoy.AlertEngine.Tests;

/// <summary>
/// Each point of docs/configuration/alert-rules.md ("Exactly what the engine decides"), pinned:
/// a change to any of them fails here first, and the page must change with it.
/// </summary>
public sealed class RuleSemanticsTests
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
        """;

    [Fact]
    public void AReadingInTheHysteresisBand_RestartsAPendingRun()
    {
        var kit = new RuleTestKit(ReeferWarm);

        kit.Send(Temperatures("truck-1", 0, 4, _ => 9f));    // minutes 0..3 above
        kit.Send(Temperatures("truck-1", 4, 1, _ => 7.8f));  // minute 4 in the band (above 7.5, not above 8)
        kit.Send(Temperatures("truck-1", 5, 5, _ => 9f));    // minutes 5..9 above: 4 minutes, not yet 5
        Assert.Empty(kit.Alerts);

        kit.Send(Temperatures("truck-1", 10, 1, _ => 9f));   // minute 10: 5 minutes since minute 5
        var fired = Assert.Single(kit.Alerts);
        Assert.Equal(Minute(5), fired.StartTimeUnixMs);
    }

    [Fact]
    public void AReadingInTheHysteresisBand_RestartsAClearingRun()
    {
        var kit = new RuleTestKit(ReeferWarm);
        kit.Send(Temperatures("truck-1", 0, 6, _ => 9f));    // fires at minute 5

        kit.Send(Temperatures("truck-1", 6, 1, _ => 7f));    // minute 6 clear
        kit.Send(Temperatures("truck-1", 7, 1, _ => 7.8f));  // minute 7 in the band: the clearing run ends
        kit.Send(Temperatures("truck-1", 8, 2, _ => 7f));    // minutes 8..9 clear: 1 minute
        Assert.Single(kit.Alerts);

        kit.Send(Temperatures("truck-1", 10, 1, _ => 7f));   // minute 10: 2 minutes since minute 8
        Assert.Equal([AlertState.Firing, AlertState.Resolved], kit.Alerts.Select(a => a.State));
        Assert.Equal(Minute(8), kit.Alerts[1].EndTimeUnixMs); // the end is the first reading of the clearing run that resolved it
    }

    [Fact]
    public void Durations_AreInclusive_TheReadingExactlyTheDurationAfterTheFirstCompletesIt()
    {
        var kit = new RuleTestKit(ReeferWarm);

        kit.Send(Temperatures("truck-1", 0, 5, _ => 9f)); // minutes 0..4
        Assert.Empty(kit.Alerts);
        kit.Send(Temperatures("truck-1", 5, 1, _ => 9f)); // minute 5: exactly 5 minutes after minute 0

        var fired = Assert.Single(kit.Alerts);
        Assert.Equal(Minute(0), fired.StartTimeUnixMs); // the start is the first violating reading
        Assert.Equal(9.0, fired.TriggerValue, 3);       // the value is the reading that completed the duration
    }

    [Fact]
    public void AGeofenceAlert_ReportsTheGroundSpeedOfTheFixThatDecidedIt()
    {
        var kit = new RuleTestKit("""
            rules:
              - id: depot
                kind: geofence
                trigger: enter
                durationMinutes: 2
                clearDurationMinutes: 1
                circle: { latitude: 52.5, longitude: 4.9, radiusM: 800 }
            """);
        (double, double) Where(int m) => m is >= 2 and < 6 ? (52.5, 4.9) : (53.5, 6.0);

        kit.Send(Gps("truck-1", 0, 10, m => 10f + m, Where)); // inside at minutes 2..5

        Assert.Equal([AlertState.Firing, AlertState.Resolved], kit.Alerts.Select(a => a.State));
        Assert.Equal("km/h", kit.Alerts[0].TriggerUnit);
        Assert.Equal(14.0, kit.Alerts[0].TriggerValue, 3); // minute 4 completed the 2 minutes inside
        Assert.Equal(17.0, kit.Alerts[1].TriggerValue, 3); // minute 7 completed the 1 minute outside (from minute 6)
        Assert.Equal(Minute(6), kit.Alerts[1].EndTimeUnixMs);
    }

    [Fact]
    public void ACirclesBoundary_IsInside_MeasuredOnTheEquirectangularProjection()
    {
        // On the equator a radius of r metres is r / MetresPerDegree degrees of latitude, exactly
        // what a fix due north of the centre is away from it; one representable step further is out.
        const double RadiusM = 800;
        double edge = RadiusM / GeofenceRuleOptions.MetresPerDegree;
        var kit = new RuleTestKit($$"""
            rules:
              - id: yard
                kind: geofence
                trigger: enter
                circle: { latitude: 0, longitude: 0, radiusM: {{RadiusM}} }
            """);

        kit.Send(Gps("truck-1", 0, 1, _ => 5f, _ => (Math.BitIncrement(edge), 0)));
        Assert.Empty(kit.Alerts);
        kit.Send(Gps("truck-1", 1, 1, _ => 5f, _ => (edge, 0)));
        Assert.Equal(AlertState.Firing, Assert.Single(kit.Alerts).State);
    }

    [Fact]
    public void AnAlertsId_HashesTenantDeviceRuleZoneAndStart()
    {
        var kit = new RuleTestKit("""
            rules:
              - id: reefer-warm
                kind: threshold
                above: 8
            """);

        kit.Send(Temperatures("truck-1", 0, 1, _ => 9f, zone: 1));
        kit.Send(Temperatures("truck-1", 0, 1, _ => 9f, zone: 2)); // same start, other zone

        Assert.Equal(2, kit.Alerts.Count);
        Assert.Equal(AlertIds.For(kit.Tenant, "truck-1", "reefer-warm", 1, Minute(0)), kit.Alerts[0].AlertId);
        Assert.Equal(AlertIds.For(kit.Tenant, "truck-1", "reefer-warm", 2, Minute(0)), kit.Alerts[1].AlertId);
        Assert.NotEqual(kit.Alerts[0].AlertId, kit.Alerts[1].AlertId);
    }

    [Fact]
    public void AFuelDropAlert_StartsAtTheReadingTheDropIsMeasuredFrom()
    {
        var kit = new RuleTestKit("""
            rules:
              - id: fuel-theft
                kind: fuelDrop
                dropPercent: 10
                withinMinutes: 5
            """);
        var batch = Gps("truck-1", 0, 4, _ => 0f);
        batch.Fuel = new Contracts.Telemetry.V1.FuelColumns();
        batch.Fuel.OffsetMs.Add([0, 60_000, 120_000, 180_000]);
        batch.Fuel.LevelPercent.Add([60f, 62f, 55f, 49f]); // highest at minute 1; 13 points below it at minute 3

        kit.Send(batch);

        var fired = Assert.Single(kit.Alerts);
        Assert.Equal(Minute(1), fired.StartTimeUnixMs);
        Assert.Equal(13.0, fired.TriggerValue, 3);
    }
}
