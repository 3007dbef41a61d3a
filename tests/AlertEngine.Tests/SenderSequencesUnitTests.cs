using Convoy.AlertEngine.Evaluation;
using Convoy.Contracts.Alerts.V1;
using Google.Protobuf;
using static Convoy.AlertEngine.Tests.RuleTestKit;

namespace Convoy.AlertEngine.Tests;

/// <summary>
/// Issue 12.2 in the alert engine: a partner writing for a device numbers its batches in its own
/// sequence space (header convoy-sender), so its sequences never make the device's own batches
/// look like duplicates; and that holds in the state a restarted engine, or the partition's next
/// owner, continues from.
/// </summary>
public sealed class SenderSequencesUnitTests
{
    private const string Partner = "partner:dispatch-app";
    private const ulong Huge = 1_000_000_000_000_000;

    private const string Warm = """
        rules:
          - id: reefer-warm
            kind: threshold
            above: 8
            durationMinutes: 5
            clearBelow: 7.5
            clearDurationMinutes: 2
        """;

    [Fact]
    public void Offer_AfterAPartnersBatchWithSequence10To15_TheDevicesOwnBatchesAreEvaluated_AndItsExcursionAlerts()
    {
        var kit = new RuleTestKit(Warm);
        Assert.Equal(BatchOutcome.Evaluated, kit.SendAs(Partner, Huge, Temperatures("truck-1", 0, 1, _ => 4f)));

        var outcomes = new[]
        {
            kit.SendAs(null, 1, Temperatures("truck-1", 1, 3, _ => 4f)),
            kit.SendAs(null, 2, Temperatures("truck-1", 4, 4, _ => 12f)),
            kit.SendAs(null, 3, Temperatures("truck-1", 8, 4, _ => 12f)),
        };

        Assert.All(outcomes, o => Assert.Equal(BatchOutcome.Evaluated, o));
        var alert = Assert.Single(kit.Alerts);
        Assert.Equal((AlertState.Firing, "truck-1"), (alert.State, alert.DeviceId));
    }

    [Fact]
    public void Offer_EachSendersReplays_AreStillDuplicates()
    {
        var kit = new RuleTestKit(Warm);
        kit.SendAs(Partner, Huge, Temperatures("truck-1", 0, 1, _ => 4f));
        kit.SendAs(null, 1, Temperatures("truck-1", 1, 1, _ => 4f));

        Assert.Equal(BatchOutcome.Duplicate, kit.SendAs(Partner, Huge, Temperatures("truck-1", 0, 1, _ => 4f)));
        Assert.Equal(BatchOutcome.Duplicate, kit.SendAs(null, 1, Temperatures("truck-1", 1, 1, _ => 4f)));
        Assert.Equal(BatchOutcome.Duplicate, kit.SendAs("partner:other-app", 0, Temperatures("truck-1", 2, 1, _ => 4f)));
    }

    [Fact]
    public void Restore_SnapshotAfterTheAttack_KeepsEverySendersSequenceApart()
    {
        var before = new RuleTestKit(Warm);
        before.SendAs(Partner, Huge, Temperatures("truck-1", 0, 1, _ => 4f));
        before.SendAs(null, 1, Temperatures("truck-1", 1, 1, _ => 4f));
        var snapshot = DeviceRuleState.Parser.ParseFrom(before.Evaluator.Snapshot("acme", "truck-1")!.ToByteArray());

        var after = new RuleTestKit(Warm); // the engine restarted, or the partition moved
        Assert.True(after.Evaluator.Restore(snapshot));

        Assert.Equal(1UL, snapshot.LastSequence);
        Assert.Equal(Huge, snapshot.SenderLastSequences[Partner]);
        Assert.Equal(BatchOutcome.Duplicate, after.SendAs(Partner, Huge, Temperatures("truck-1", 0, 1, _ => 4f)));
        Assert.Equal(BatchOutcome.Duplicate, after.SendAs(null, 1, Temperatures("truck-1", 1, 1, _ => 4f)));
        Assert.Equal(BatchOutcome.Evaluated, after.SendAs(null, 2, Temperatures("truck-1", 2, 1, _ => 4f)));
    }

    [Fact]
    public void Snapshot_WhileAPartnersBatchIsHeld_LeavesItToBeReadAgain_WithoutTouchingTheDevicesOwn()
    {
        var kit = new RuleTestKit(Warm, lateness: TimeSpan.FromMinutes(10));
        Assert.Equal(BatchOutcome.Held, kit.SendAs(null, 7, Temperatures("truck-1", 0, 1, _ => 4f)));
        kit.Time.Advance(TimeSpan.FromMinutes(10));
        kit.Evaluator.Tick(kit.Alerts, kit.Released); // 7 applied
        Assert.Equal(BatchOutcome.Held, kit.SendAs(Partner, 40, Temperatures("truck-1", 1, 1, _ => 4f)));

        var snapshot = kit.Evaluator.Snapshot("acme", "truck-1")!;

        Assert.Equal(7UL, snapshot.LastSequence);
        Assert.Equal(39UL, snapshot.SenderLastSequences[Partner]); // 40 was not applied: the next owner must not drop it
    }
}
