using Convoy.AlertEngine.Evaluation;
using Convoy.Contracts.Alerts.V1;
using static Convoy.AlertEngine.Tests.RuleTestKit;

namespace Convoy.AlertEngine.Tests;

/// <summary>
/// Event time and lateness: batches out of order within the allowed lateness are applied in event
/// time order and raise exactly the alerts of the in-order run; older ones are refused as too late;
/// a held batch is released by the clock when no newer data comes.
/// </summary>
public sealed class LatenessUnitTests
{
    private const string Warm = """
        rules:
          - id: reefer-warm
            kind: threshold
            above: 8
            durationMinutes: 3
            clearBelow: 7.5
            clearDurationMinutes: 2
        """;

    // Warm from minute 2 to 7, cold after: fires at 5, resolves at 10.
    private static float Profile(int m) => m is >= 2 and < 8 ? 9f : 6f;

    [Fact]
    public void Offer_OutOfOrderWithinLateness_RaisesTheAlertsOfTheInOrderRun()
    {
        var inOrder = new RuleTestKit(Warm);
        for (int from = 0; from < 15; from += 3)
        {
            inOrder.Send(Temperatures("truck-1", from, 3, Profile));
        }

        var shuffled = new RuleTestKit(Warm, lateness: TimeSpan.FromMinutes(10));
        int[] order = [3, 0, 6, 9, 12]; // minutes 3-5 arrive before 0-2
        var outcomes = new List<BatchOutcome>();
        for (int i = 0; i < order.Length; i++)
        {
            outcomes.Add(shuffled.Send(Temperatures("truck-1", order[i], 3, Profile), offset: i));
        }

        shuffled.Time.Advance(TimeSpan.FromMinutes(10)); // the clock releases what the watermark has not
        shuffled.Evaluator.Tick(shuffled.Alerts, shuffled.Released);

        Assert.All(outcomes, o => Assert.Equal(BatchOutcome.Held, o));
        Assert.Equal([AlertState.Firing, AlertState.Resolved], inOrder.Alerts.Select(a => a.State));
        Assert.Equal(inOrder.Alerts.Select(a => (a.AlertId, a.State, a.StartTimeUnixMs, a.EndTimeUnixMs, a.Message)),
            shuffled.Alerts.Select(a => (a.AlertId, a.State, a.StartTimeUnixMs, a.EndTimeUnixMs, a.Message)));
        Assert.Equal([0L, 1, 2, 3, 4], shuffled.Released.Select(p => p.Offset).Order());
    }

    [Fact]
    public void Offer_WithoutLateness_TheSameShuffleMissesTheAlert()
    {
        var kit = new RuleTestKit(Warm);

        kit.Send(Temperatures("truck-1", 3, 3, Profile));
        var outcome = kit.Send(Temperatures("truck-1", 0, 3, Profile)); // its newest (minute 2) is older than minute 5

        Assert.Equal(BatchOutcome.TooLate, outcome);
        // Only minutes 3-5 were applied: warm for 2 minutes in event time, not 3. Nothing fires.
        Assert.Empty(kit.Alerts);
    }

    [Fact]
    public void Offer_OlderThanTheLateness_IsTooLateAndNotApplied()
    {
        var kit = new RuleTestKit(Warm, lateness: TimeSpan.FromMinutes(5));
        kit.Send(Temperatures("truck-1", 20, 3, _ => 6f), offset: 0);

        var outcome = kit.Send(Temperatures("truck-1", 0, 10, _ => 20f), offset: 1); // newest at minute 9 < 22 - 5

        Assert.Equal(BatchOutcome.TooLate, outcome);
        kit.Time.Advance(TimeSpan.FromMinutes(30));
        kit.Evaluator.Tick(kit.Alerts, kit.Released);
        Assert.Empty(kit.Alerts);
        Assert.Equal([0L], kit.Released.Select(p => p.Offset)); // only the held one, never the late one
    }

    [Fact]
    public void Offer_WatermarkPassesAHeldBatch_ReleasesItWithoutWaitingForTheClock()
    {
        var kit = new RuleTestKit(Warm, lateness: TimeSpan.FromMinutes(2));

        Assert.Equal(BatchOutcome.Held, kit.Send(Temperatures("truck-1", 0, 3, Profile), offset: 7));
        Assert.Empty(kit.Released);
        Assert.Equal(kit.Time.GetUtcNow() + TimeSpan.FromMinutes(2), kit.Evaluator.NextDue);

        kit.Send(Temperatures("truck-1", 3, 3, Profile), offset: 8); // newest minute 5: watermark 3 passes minute 2

        Assert.Equal([7L], kit.Released.Select(p => p.Offset));
    }

    [Fact]
    public void DropHeld_RevokedPartition_ForgetsItsHeldBatches()
    {
        var kit = new RuleTestKit(Warm, lateness: TimeSpan.FromMinutes(10));
        kit.Send(Temperatures("truck-1", 0, 9, _ => 9f));

        kit.Evaluator.DropHeld("telemetry.acme", 0);
        kit.Time.Advance(TimeSpan.FromMinutes(30));
        kit.Evaluator.Tick(kit.Alerts, kit.Released);

        Assert.Empty(kit.Alerts);
        Assert.Empty(kit.Released);
        Assert.Null(kit.Evaluator.NextDue);
    }
}
