using Convoy.AlertEngine.Evaluation;
using Convoy.Contracts.Alerts.V1;
using Convoy.Contracts.Telemetry.V1;
using static Convoy.AlertEngine.Tests.RuleTestKit;

namespace Convoy.AlertEngine.Tests;

/// <summary>
/// Issue 12.3 in the alert engine: one reading 49 days ahead (base time plausible, offset_ms huge)
/// pushed the device's event-time watermark so far that every later batch was too late and its
/// alerts silent. A batch's readings may lie at most the allowed clock skew after the batch was
/// received (the collector's own bound); one beyond it is not applied and moves nothing.
/// </summary>
public sealed class ClockSkewUnitTests
{
    private const string Warm = """
        rules:
          - id: reefer-warm
            kind: threshold
            above: 8
            durationMinutes: 5
            clearBelow: 7.5
            clearDurationMinutes: 2
        """;

    private const uint FortyNineDaysMs = 49 * 86_400_000u;

    [Fact]
    public void Offer_OneReading49DaysAhead_IsNotApplied_AndALaterSevenMinuteExcursionAt12CStillAlerts()
    {
        var kit = new RuleTestKit(Warm);
        long now = kit.Time.GetUtcNow().ToUnixTimeMilliseconds();
        var outlier = Temperatures("truck-1", 0, 2, _ => 4f);
        outlier.Temperatures[0].OffsetMs[1] = FortyNineDaysMs;

        var outcome = kit.SendAs(null, 1, outlier, receivedAtMs: now);
        var excursion = Enumerable.Range(0, 7).Select(m => kit.SendAs(null, (ulong)(2 + m), Temperatures("truck-1", 1 + m, 1, _ => 12f))).ToList();

        Assert.Equal(BatchOutcome.TooFarAhead, outcome);
        Assert.All(excursion, o => Assert.Equal(BatchOutcome.Evaluated, o));
        var alert = Assert.Single(kit.Alerts);
        Assert.Equal((AlertState.Firing, "reefer-warm", Minute(1)), (alert.State, alert.RuleId, alert.StartTimeUnixMs));
    }

    [Fact]
    public void Offer_ReadingAtExactlyTheSkewAfterReceipt_IsApplied_AndOneMillisecondLaterIsNot()
    {
        var kit = new RuleTestKit(Warm);
        long received = kit.Time.GetUtcNow().ToUnixTimeMilliseconds();
        long skew = (long)new AlertEngineOptions().MaxClockSkew.TotalMilliseconds;

        var atTheBound = kit.SendAs(null, 1, At(received + skew), receivedAtMs: received);
        var beyond = kit.SendAs(null, 2, At(received + skew + 1), receivedAtMs: received);

        Assert.Equal(BatchOutcome.Evaluated, atTheBound);
        Assert.Equal(BatchOutcome.TooFarAhead, beyond);
    }

    [Fact]
    public void Offer_ReceivedTimeUnknown_TheEnginesClockStandsIn()
    {
        var kit = new RuleTestKit(Warm);
        long now = kit.Time.GetUtcNow().ToUnixTimeMilliseconds();
        var batch = At(now + (long)TimeSpan.FromHours(1).TotalMilliseconds);
        batch.Sequence = 1;

        var outcome = kit.Evaluator.Offer(kit.Tenant, Google.Protobuf.MessageExtensions.ToByteArray(batch), new RecordPosition("telemetry.acme", 0, 0),
            kit.Alerts, kit.Released, out int skipped, out _);

        Assert.Equal(BatchOutcome.TooFarAhead, outcome);
        Assert.Equal(1, skipped);
    }

    [Fact]
    public void Validate_MaxClockSkewSeconds_OutOfRange_NamesTheKey()
    {
        var options = new AlertEngineOptions { MaxClockSkewSeconds = -1 };

        var error = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() => OptionsChecks.Validate(new AlertEngineOptionsValidator(), options));

        Assert.Contains("'AlertEngine:MaxClockSkewSeconds' must be 0..86400 seconds, was -1", error.Message, StringComparison.Ordinal);
    }

    /// <summary>One 4 °C reading of zone 1 at <paramref name="atMs"/>.</summary>
    private static TelemetryBatch At(long atMs)
    {
        var batch = Empty("truck-1", atMs);
        batch.Temperatures.Add(new TemperatureColumns { Zone = 1, OffsetMs = { 0 }, TemperatureC = { 4f } });
        return batch;
    }
}
