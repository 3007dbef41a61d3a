using Convoy.AlertEngine.Evaluation;
using Convoy.AlertEngine.Rules;
using Convoy.Contracts.Alerts.V1;
using Convoy.Contracts.Telemetry.V1;
using Google.Protobuf;

namespace Convoy.AlertEngine.Tests;

public sealed class BatchEvaluatorUnitTests
{
    private const long Base = 1_700_000_000_000;

    [Fact]
    public void Evaluate_ReplayedSequence_IsDroppedAndRaisesNothing()
    {
        var evaluator = Evaluator();
        var alerts = new List<Alert>();
        Assert.True(evaluator.Evaluate("acme", WarmBatch(sequence: 1, fromMinute: 0).ToByteArray(), alerts, out _, out _));
        Assert.Single(alerts);

        alerts.Clear();
        bool evaluated = evaluator.Evaluate("acme", WarmBatch(sequence: 1, fromMinute: 0).ToByteArray(), alerts, out _, out _);

        Assert.False(evaluated);
        Assert.Empty(alerts);
    }

    [Fact]
    public void Evaluate_SameDeviceIdInTwoTenants_KeepsTheirStatesApart()
    {
        var evaluator = Evaluator();
        var alerts = new List<Alert>();

        evaluator.Evaluate("acme", WarmBatch(sequence: 1, fromMinute: 0).ToByteArray(), alerts, out _, out _);
        evaluator.Evaluate("globex", WarmBatch(sequence: 1, fromMinute: 0).ToByteArray(), alerts, out _, out _);

        Assert.Equal(["acme", "globex"], alerts.Select(a => a.TenantId));
        Assert.NotEqual(alerts[0].AlertId, alerts[1].AlertId);
    }

    [Fact]
    public void Evaluate_FiringAlert_CarriesIdPositionAndAReadableMessage()
    {
        var alerts = new List<Alert>();

        Evaluator().Evaluate("acme", WarmBatch(sequence: 3, fromMinute: 0).ToByteArray(), alerts, out _, out _);

        var alert = Assert.Single(alerts);
        Assert.Equal("truck-1", alert.DeviceId);
        Assert.Equal(AlertState.Firing, alert.State);
        Assert.Equal(Severity.Critical, alert.Severity);
        Assert.Equal(3UL, alert.SourceSequence);
        Assert.Equal("degC", alert.TriggerUnit);
        Assert.Equal(52.5, alert.LastPosition.LatitudeDeg);
        Assert.Equal("zone 1 at 9.0 degC, above 8.0 degC for 5 min", alert.Message);
        // Deterministic: the same evaluation elsewhere gives the same id.
        var again = new List<Alert>();
        Evaluator().Evaluate("acme", WarmBatch(sequence: 3, fromMinute: 0).ToByteArray(), again, out _, out _);
        Assert.Equal(alert.AlertId, Assert.Single(again).AlertId);
    }

    private static BatchEvaluator Evaluator()
    {
        var options = new AlertEngineOptions();
        options.TemperatureRules.Add(new TemperatureRuleOptions());
        return new BatchEvaluator(options);
    }

    /// <summary>Ten minutes at 9 °C in zone 1, with a GPS fix at the start.</summary>
    private static TelemetryBatch WarmBatch(ulong sequence, int fromMinute) =>
        BatchBuilder.For("truck-1", sequence).StartingAt(Base + (fromMinute * 60_000L)).Every(TimeSpan.FromMinutes(1))
            .Temperatures(zone: 1, count: 10, _ => 9f)
            .Gps(count: 1, _ => 0f, _ => (52.5, 4.9));
}
