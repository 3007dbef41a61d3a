using Convoy.AlertEngine.Evaluation;
using Convoy.Contracts.Alerts.V1;
using Convoy.Contracts.Telemetry.V1;
using CsCheck;
using Google.Protobuf;
using static Convoy.AlertEngine.Tests.RuleTestKit;

namespace Convoy.AlertEngine.Tests;

/// <summary>
/// Per-device rule state as <see cref="DeviceRuleState"/>: every field survives encode, decode and
/// restore; a device handed to a new evaluator mid-excursion raises exactly the alerts of an
/// uninterrupted run; duplicates, held batches, silent devices and forgotten partitions.
/// </summary>
public sealed class RuleStateUnitTests
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

    private const string Quiet = """
        rules:
          - id: quiet
            kind: silent
            silentMinutes: 10
        """;

    private static readonly Gen<long> Ms = Gen.Frequency((4, (IGen<long>)Gen.Long[1_600_000_000_000, 1_900_000_000_000]), (1, Gen.OneOf(0L, -1L, long.MaxValue, long.MinValue + 1)));

    private static readonly Gen<float> AnyFloat = Gen.Frequency((4, (IGen<float>)Gen.Float), (1, Gen.OneOf(float.NaN, float.PositiveInfinity, float.NegativeInfinity, -0f, 0f)));

    private static readonly Gen<ThresholdRuleState> Threshold =
        Gen.Select(Gen.UInt[0, 8], Gen.UInt[0, 3], Ms.Array[3], Gen.Bool, Ms, AnyFloat)
            .Select((zone, phase, times, seen, last, value) =>
            {
                var t = new ThresholdRuleState { Zone = zone, Phase = phase, PendingSinceMs = times[0], AlertStartMs = times[1], ClearSinceMs = times[2], LastValue = value };
                if (seen)
                {
                    t.LastReadingMs = last;
                }

                return t;
            });

    private static readonly Gen<FuelTheftRuleState> FuelTheft =
        Gen.Select(Gen.Bool.Array[3], Ms.Array[2], AnyFloat.Array[2], Gen.Select(Ms, Gen.Float[0f, 100f]).Array[0, 40])
            .Select((flags, times, levels, window) =>
            {
                var f = new FuelTheftRuleState
                {
                    Firing = flags[0], HasFix = flags[1], LastFixStationary = flags[2],
                    AlertStartMs = times[0], StartLevel = levels[0], LowestLevel = levels[1],
                };
                if (times[1] != 0)
                {
                    f.LastReadingMs = times[1];
                }

                foreach (var (at, level) in window)
                {
                    f.WindowMs.Add(at);
                    f.WindowLevel.Add(level);
                }

                return f;
            });

    private static readonly Gen<SilentRuleState> Silence =
        Gen.Select(Gen.Bool, Ms, Ms).Select((firing, start, since) => new SilentRuleState { Firing = firing, AlertStartMs = start, SilentSinceMs = since });

    private static readonly Gen<Position?> Fix = Gen.Frequency(
        (1, (IGen<Position?>)Gen.Const(() => (Position?)null)),
        (3, Gen.Select(Gen.Double[-90, 90], Gen.Double[-180, 180], Ms, AnyFloat).Select((lat, lon, at, speed) =>
            (Position?)new Position { LatitudeDeg = lat, LongitudeDeg = lon, TimeUnixMs = at, SpeedKmh = speed })));

    private static readonly Gen<DeviceRuleState> State =
        Gen.Select(Gen.String[Gen.Char.AlphaNumeric, 1, 20], Gen.Int[0, 63], Gen.ULong, Ms.Array[2], Gen.Bool, Fix)
            .SelectMany(head => Gen.Select(Threshold.Array[0, 6], FuelTheft.Array[0, 3], Silence.Array[0, 3], Gen.ULong.Array[0, 3]).Select(rules =>
            {
                var (device, partition, sequence, times, hasNewest, fix) = head;
                var (thresholds, thefts, silences, partnerSequences) = rules;
                var s = new DeviceRuleState
                {
                    TenantId = "acme", DeviceId = device, Topic = "telemetry.acme", Partition = partition, LastSequence = sequence,
                    LastArrivalMs = times[0], LastFix = fix,
                };
                if (hasNewest)
                {
                    s.NewestMs = times[1];
                }

                // Keys are unique in the evaluator: one state per (rule, zone), one per rule.
                for (int i = 0; i < thresholds.Length; i++)
                {
                    thresholds[i].RuleId = $"level-{i}";
                    s.Thresholds.Add(thresholds[i]);
                }

                for (int i = 0; i < thefts.Length; i++)
                {
                    thefts[i].RuleId = $"theft-{i}";
                    s.FuelThefts.Add(thefts[i]);
                }

                for (int i = 0; i < silences.Length; i++)
                {
                    silences[i].RuleId = $"quiet-{i}";
                    s.Silences.Add(silences[i]);
                }

                for (int i = 0; i < partnerSequences.Length; i++)
                {
                    s.SenderLastSequences.Add($"partner:app-{i}", partnerSequences[i]);
                }

                return s;
            }));

    [Fact]
    public void Snapshot_EncodedDecodedAndRestored_EveryFieldRoundTrips()
    {
        State.Sample(original =>
        {
            var kit = new RuleTestKit(Warm);
            var decoded = DeviceRuleState.Parser.ParseFrom(original.ToByteArray());

            Assert.True(kit.Evaluator.Restore(decoded));

            var snapshot = kit.Evaluator.Snapshot("acme", original.DeviceId);
            Assert.Equal(decoded, snapshot);
            Assert.Equal(original.ToByteArray(), snapshot!.ToByteArray()); // -0 and +0 encode alike (proto3 omits both)
        }, iter: 500);
    }

    [Fact]
    public void Restore_MidExcursion_RaisesTheAlertsOfAnUninterruptedRun()
    {
        var uninterrupted = new RuleTestKit(Warm);
        Offer(uninterrupted, 1, Temperatures("reefer-7", 0, 5, _ => 9f));
        Offer(uninterrupted, 2, Temperatures("reefer-7", 5, 2, _ => 9f));
        var before = new RuleTestKit(Warm);
        Offer(before, 1, Temperatures("reefer-7", 0, 5, _ => 9f));
        var snapshots = new List<DeviceRuleState>();
        before.Evaluator.TakeChanged(snapshots);

        var after = new RuleTestKit(Warm);
        Assert.True(after.Evaluator.Restore(DeviceRuleState.Parser.ParseFrom(Assert.Single(snapshots).ToByteArray())));
        var replay = Offer(after, 1, Temperatures("reefer-7", 0, 5, _ => 9f));
        Offer(after, 2, Temperatures("reefer-7", 5, 2, _ => 9f));

        Assert.Empty(before.Alerts); // warm for 4 minutes: not yet
        Assert.Equal(BatchOutcome.Duplicate, replay);
        var alert = Assert.Single(after.Alerts);
        Assert.Equal(Assert.Single(uninterrupted.Alerts), alert);
        Assert.Equal(AlertState.Firing, alert.State);
        Assert.Equal(Minute(0), alert.StartTimeUnixMs);
        Assert.Equal(2ul, alert.SourceSequence);
    }

    [Fact]
    public void TakeChanged_OnlyDevicesChangedSinceTheLastCall()
    {
        var kit = new RuleTestKit(Warm);
        var snapshots = new List<DeviceRuleState>();
        Offer(kit, 1, Temperatures("reefer-1", 0, 2, _ => 9f));
        Offer(kit, 1, Temperatures("reefer-2", 0, 2, _ => 6f));
        kit.Evaluator.TakeChanged(snapshots);
        Assert.Equal(2, snapshots.Count);

        snapshots.Clear();
        Offer(kit, 2, Temperatures("reefer-2", 2, 2, _ => 6f));
        Offer(kit, 1, Temperatures("reefer-1", 0, 2, _ => 9f)); // a duplicate changes nothing
        kit.Evaluator.TakeChanged(snapshots);

        Assert.Equal("reefer-2", Assert.Single(snapshots).DeviceId);
        Assert.Equal(2ul, snapshots[0].LastSequence);
        Assert.Equal(0, kit.Evaluator.ChangedCount);
    }

    [Fact]
    public void Snapshot_WhileABatchIsHeld_LastSequenceLeavesItToBeReadAgain()
    {
        var kit = new RuleTestKit(Warm, lateness: TimeSpan.FromMinutes(10));
        Assert.Equal(BatchOutcome.Held, Offer(kit, 1, Temperatures("reefer-7", 0, 2, _ => 9f)));
        Assert.Equal(BatchOutcome.Held, Offer(kit, 2, Temperatures("reefer-7", 2, 2, _ => 9f)));

        var snapshot = kit.Evaluator.Snapshot("acme", "reefer-7")!;

        Assert.Equal(0ul, snapshot.LastSequence); // neither was applied: the next owner must not drop them
        var next = new RuleTestKit(Warm, lateness: TimeSpan.FromMinutes(10));
        next.Evaluator.Restore(snapshot);
        Assert.Equal(BatchOutcome.Held, Offer(next, 1, Temperatures("reefer-7", 0, 2, _ => 9f)));
    }

    [Fact]
    public void Restore_DeviceSilentSinceBeforeTheHandOver_FiresOnTheNewOwnersClock()
    {
        var before = new RuleTestKit(Quiet);
        Offer(before, 1, Temperatures("truck-3", 0, 1, _ => 5f));
        before.Time.Advance(TimeSpan.FromMinutes(6));
        before.Evaluator.Tick(before.Alerts, null);
        var snapshot = before.Evaluator.Snapshot("acme", "truck-3")!;

        var after = new RuleTestKit(Quiet);
        after.Time.Advance(TimeSpan.FromMinutes(6));
        after.Evaluator.Restore(snapshot);
        after.Evaluator.Tick(after.Alerts, null);
        Assert.Empty(after.Alerts); // silent 6 minutes of 10
        after.Time.Advance(TimeSpan.FromMinutes(4));
        after.Evaluator.Tick(after.Alerts, null);

        Assert.Empty(before.Alerts);
        var alert = Assert.Single(after.Alerts);
        Assert.Equal(AlertState.Firing, alert.State);
        Assert.Equal("quiet", alert.RuleId);
    }

    [Fact]
    public void Forget_RevokedPartition_DropsItsDevicesAndTheirUnwrittenChanges()
    {
        var kit = new RuleTestKit(Warm);
        Offer(kit, 1, Temperatures("reefer-1", 0, 2, _ => 9f), partition: 0);
        Offer(kit, 1, Temperatures("reefer-2", 0, 2, _ => 9f), partition: 1);

        int forgotten = kit.Evaluator.Forget("telemetry.acme", 1);

        Assert.Equal(1, forgotten);
        Assert.Null(kit.Evaluator.Snapshot("acme", "reefer-2"));
        Assert.NotNull(kit.Evaluator.Snapshot("acme", "reefer-1"));
        var snapshots = new List<DeviceRuleState>();
        kit.Evaluator.TakeChanged(snapshots);
        Assert.Equal("reefer-1", Assert.Single(snapshots).DeviceId);
    }

    [Fact]
    public void Restore_DeviceAlreadyKept_KeepsItsOwnNewerState()
    {
        var kit = new RuleTestKit(Warm);
        Offer(kit, 3, Temperatures("reefer-7", 0, 2, _ => 9f));
        var stale = kit.Evaluator.Snapshot("acme", "reefer-7")!.Clone();
        stale.LastSequence = 1;

        Assert.False(kit.Evaluator.Restore(stale));

        Assert.Equal(3ul, kit.Evaluator.Snapshot("acme", "reefer-7")!.LastSequence);
    }

    private static BatchOutcome Offer(RuleTestKit kit, ulong sequence, TelemetryBatch batch, int partition = 0)
    {
        batch.Sequence = sequence;
        return kit.Evaluator.Offer(kit.Tenant, batch.ToByteArray(), new RecordPosition("telemetry." + kit.Tenant, partition, (long)sequence), kit.Alerts, kit.Released, out _, out _,
            new RecordSource(ReceivedAtMs: kit.ReceivedAt(batch)));
    }
}
