using Convoy.AlertEngine.Evaluation;
using Convoy.AlertEngine.Rules;
using Convoy.Contracts.Alerts.V1;
using Convoy.Contracts.Telemetry.V1;
using Google.Protobuf;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Convoy.AlertEngine.Tests;

/// <summary>Each rule kind, configured in <see cref="AlertEngineOptions"/>, raises an alert from an encoded batch.</summary>
public sealed class BatchEvaluatorRuleKindsUnitTests
{
    private const long Base = 1_700_000_000_000;

    [Fact]
    public void Evaluate_SpeedRule_FiresFromTheGpsColumn()
    {
        var options = new AlertEngineOptions();
        options.SpeedRules.Add(new SpeedRuleOptions { Id = "over-speed", AboveKmh = 90, For = TimeSpan.FromMinutes(1) });
        var batch = Batch(1, minutes: 5, speed: _ => 104f);
        var alerts = new List<Alert>();

        Assert.True(new BatchEvaluator(options).Evaluate("acme", batch.ToByteArray(), alerts, out _, out _));

        var alert = Assert.Single(alerts);
        Assert.Equal("over-speed", alert.RuleId);
        Assert.Equal(AlertState.Firing, alert.State);
        Assert.Equal(Severity.Warning, alert.Severity);
        Assert.Equal("km/h", alert.TriggerUnit);
        Assert.Equal(104.0, alert.TriggerValue);
        Assert.Equal(Base, alert.StartTimeUnixMs);
        Assert.Equal(Base + 60_000, alert.LastPosition.TimeUnixMs);
        Assert.Equal("at 104 km/h, above 90 km/h for 1 min", alert.Message);
        Assert.Equal(32, alert.AlertId.Length);
    }

    [Fact]
    public void Evaluate_SpeedRuleAcrossBatches_FiresOnceAndResolvesOnceWithOneId()
    {
        var options = new AlertEngineOptions();
        options.SpeedRules.Add(new SpeedRuleOptions { Id = "over-speed", AboveKmh = 90, For = TimeSpan.FromMinutes(1), ClearFor = TimeSpan.FromMinutes(1) });
        var evaluator = new BatchEvaluator(options);
        var alerts = new List<Alert>();

        evaluator.Evaluate("acme", Batch(1, minutes: 5, speed: _ => 104f).ToByteArray(), alerts, out _, out _);
        evaluator.Evaluate("acme", Batch(2, minutes: 5, speed: _ => 100f, fromMinute: 5).ToByteArray(), alerts, out _, out _);
        evaluator.Evaluate("acme", Batch(3, minutes: 5, speed: _ => 50f, fromMinute: 10).ToByteArray(), alerts, out _, out _);

        Assert.Equal([AlertState.Firing, AlertState.Resolved], alerts.Select(a => a.State));
        Assert.Equal(alerts[0].AlertId, alerts[1].AlertId);
        Assert.Equal(3UL, alerts[1].SourceSequence);
        Assert.Equal("back to 50 km/h, at or below 85 km/h for 1 min", alerts[1].Message);
    }

    [Fact]
    public void Evaluate_FuelTheftRule_FiresWithPercentAndLitres()
    {
        var options = new AlertEngineOptions();
        options.FuelTheftRules.Add(new FuelTheftRuleOptions { Id = "fuel-theft", DropPercent = 5, Within = TimeSpan.FromMinutes(10) });
        var batch = Batch(1, minutes: 6, speed: _ => 0f);
        batch.Fuel = new FuelColumns { TankCapacityL = 400 };
        for (uint m = 0; m < 6; m++)
        {
            batch.Fuel.OffsetMs.Add(m * 60_000);
            batch.Fuel.LevelPercent.Add(60f - (3f * m)); // 60, 57, 54: 6 points after 2 minutes
        }

        var alerts = new List<Alert>();
        new BatchEvaluator(options).Evaluate("acme", batch.ToByteArray(), alerts, out _, out _);

        var alert = Assert.Single(alerts);
        Assert.Equal("fuel-theft", alert.RuleId);
        Assert.Equal(Severity.Critical, alert.Severity);
        Assert.Equal("percent", alert.TriggerUnit);
        Assert.Equal(6.0, alert.TriggerValue);
        Assert.Equal("fuel level dropped 6.0 percent (24 L) within 10 min while stationary", alert.Message);
    }

    [Theory]
    [InlineData(GeofenceAlertWhen.Inside, "entered geofence depot, at 20 km/h", "left geofence depot, at 20 km/h")]
    [InlineData(GeofenceAlertWhen.Outside, "left geofence depot, at 20 km/h", "came back inside geofence depot, at 20 km/h")]
    public void Evaluate_GeofenceRule_FiresAndResolvesOnCrossing(GeofenceAlertWhen when, string firing, string resolved)
    {
        var options = new AlertEngineOptions();
        options.GeofenceRules.Add(new GeofenceRuleOptions { Id = "depot", AlertWhen = when, CentreLatitudeDeg = 52.5, CentreLongitudeDeg = 4.9, RadiusM = 500 });
        // Minutes 0-1 at the depot, 2-3 far away, 4-5 back.
        var batch = Batch(1, minutes: 6, speed: _ => 20f, latitude: m => m is 2 or 3 ? 52.6 : 52.5);
        var alerts = new List<Alert>();

        new BatchEvaluator(options).Evaluate("acme", batch.ToByteArray(), alerts, out _, out _);

        if (when == GeofenceAlertWhen.Inside)
        {
            // Fires at the first fix inside, resolves on leaving, fires again on coming back.
            Assert.Equal([AlertState.Firing, AlertState.Resolved, AlertState.Firing], alerts.Select(a => a.State));
        }
        else
        {
            Assert.Equal([AlertState.Firing, AlertState.Resolved], alerts.Select(a => a.State));
        }

        Assert.Equal(firing, alerts[0].Message);
        Assert.Equal(resolved, alerts[1].Message);
        Assert.Equal("km/h", alerts[0].TriggerUnit);
        Assert.Equal(52.6, when == GeofenceAlertWhen.Inside ? alerts[1].LastPosition.LatitudeDeg : alerts[0].LastPosition.LatitudeDeg);
    }

    [Fact]
    public void Validate_NamesTheBadKeyOfEachRuleKind()
    {
        var speed = new AlertEngineOptions();
        speed.SpeedRules.Add(new SpeedRuleOptions());
        speed.SpeedRules.Add(new SpeedRuleOptions { Id = "b", AboveKmh = 80, ClearAtOrBelowKmh = 85 });
        Assert.Contains("'AlertEngine:SpeedRules:1:ClearAtOrBelowKmh'", Assert.Throws<OptionsValidationException>(() => Check(speed)).Message, StringComparison.Ordinal);

        var fuel = new AlertEngineOptions();
        fuel.FuelTheftRules.Add(new FuelTheftRuleOptions { Within = TimeSpan.Zero });
        Assert.Contains("'AlertEngine:FuelTheftRules:0:Within'", Assert.Throws<OptionsValidationException>(() => Check(fuel)).Message, StringComparison.Ordinal);

        var fence = new AlertEngineOptions();
        fence.GeofenceRules.Add(new GeofenceRuleOptions { CentreLatitudeDeg = 52.5 });
        Assert.Contains("'AlertEngine:GeofenceRules:0:RadiusM'", Assert.Throws<OptionsValidationException>(() => Check(fence)).Message, StringComparison.Ordinal);

        var polygon = new AlertEngineOptions();
        polygon.GeofenceRules.Add(new GeofenceRuleOptions());
        polygon.GeofenceRules[0].Polygon.Add(new GeoPoint { LatitudeDeg = 52, LongitudeDeg = 4 });
        polygon.GeofenceRules[0].Polygon.Add(new GeoPoint { LatitudeDeg = 53, LongitudeDeg = 4 });
        polygon.GeofenceRules[0].Polygon.Add(new GeoPoint { LatitudeDeg = 95, LongitudeDeg = 5 });
        Assert.Contains("'AlertEngine:GeofenceRules:0:Polygon:2:LatitudeDeg'", Assert.Throws<OptionsValidationException>(() => Check(polygon)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_SameIdInTwoRuleKinds_IsRefused()
    {
        var options = new AlertEngineOptions();
        options.TemperatureRules.Add(new TemperatureRuleOptions { Id = "x" });
        options.SpeedRules.Add(new SpeedRuleOptions { Id = "x" });

        var error = Assert.Throws<OptionsValidationException>(() => Check(options));

        Assert.Contains("'AlertEngine:SpeedRules:0:Id'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bind_RuleListsFromTheAlertEngineSection()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AlertEngine:SpeedRules:0:Id"] = "motorway",
            ["AlertEngine:SpeedRules:0:AboveKmh"] = "100",
            ["AlertEngine:FuelTheftRules:0:DropPercent"] = "8",
            ["AlertEngine:GeofenceRules:0:AlertWhen"] = "Outside",
            ["AlertEngine:GeofenceRules:0:Polygon:0:LatitudeDeg"] = "52",
            ["AlertEngine:GeofenceRules:0:Polygon:0:LongitudeDeg"] = "4",
            ["AlertEngine:GeofenceRules:0:Polygon:1:LatitudeDeg"] = "53",
            ["AlertEngine:GeofenceRules:0:Polygon:1:LongitudeDeg"] = "4",
            ["AlertEngine:GeofenceRules:0:Polygon:2:LatitudeDeg"] = "53",
            ["AlertEngine:GeofenceRules:0:Polygon:2:LongitudeDeg"] = "5",
        }).Build();
        var options = new AlertEngineOptions();

        ConfigurationBinder.Bind(configuration.GetSection(AlertEngineOptions.SectionName), options);
        Check(options);

        Assert.Equal(100f, Assert.Single(options.SpeedRules).AboveKmh);
        Assert.Equal(95f, options.SpeedRules[0].ClearThresholdKmh);
        Assert.Equal(8f, Assert.Single(options.FuelTheftRules).DropPercent);
        Assert.Equal(GeofenceAlertWhen.Outside, Assert.Single(options.GeofenceRules).AlertWhen);
        Assert.Equal(3, options.GeofenceRules[0].Polygon.Count);
    }

    /// <summary>A fix a minute for <paramref name="minutes"/> minutes, no temperatures.</summary>
    private static TelemetryBatch Batch(ulong sequence, int minutes, Func<int, float> speed, Func<int, double>? latitude = null, int fromMinute = 0) =>
        BatchBuilder.For("truck-1", sequence).StartingAt(Base + (fromMinute * 60_000L)).Every(TimeSpan.FromMinutes(1))
            .Gps(minutes, speed, m => (latitude?.Invoke(m) ?? 52.5, 4.9));

    private static void Check(AlertEngineOptions options) => OptionsChecks.Validate(new AlertEngineOptionsValidator(), options);
}
