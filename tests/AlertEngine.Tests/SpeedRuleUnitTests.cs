using Convoy.AlertEngine.Rules;
using Convoy.Contracts.Alerts.V1;

namespace Convoy.AlertEngine.Tests;

public sealed class SpeedRuleUnitTests
{
    private const long Base = 1_700_000_000_000;
    private readonly SpeedRule _rule = new(new SpeedRuleOptions
    {
        Id = "fast",
        AboveKmh = 90,
        For = TimeSpan.FromMinutes(1),
        ClearAtOrBelowKmh = 85,
        ClearFor = TimeSpan.FromMinutes(1),
    });

    [Fact]
    public void Evaluate_AboveForTheWholeDuration_FiresOnceAtTheReadingThatCompletesIt()
    {
        var changes = Run(Seconds(100f, 0, 300, 10)); // 100 km/h every 10 s for 5 minutes

        var fired = Assert.Single(changes);
        Assert.Equal(AlertState.Firing, fired.State);
        Assert.Equal(RuleKind.Speed, fired.Kind);
        Assert.Equal(0u, fired.Zone);
        Assert.Equal(Base, fired.StartMs);
        Assert.Equal(Base + 60_000, fired.AtMs);
        Assert.Equal(100f, fired.Value);
        Assert.Equal(90f, fired.Threshold);
    }

    [Fact]
    public void Evaluate_AtTheLimitOrAboveForLessThanTheDuration_DoesNotFire()
    {
        var readings = Seconds(95f, 0, 50, 10).Concat(Seconds(90f, 50, 10, 10)).Concat(Seconds(95f, 60, 50, 10));

        Assert.Empty(Run(readings));
    }

    [Fact]
    public void Evaluate_SlowingIntoTheHysteresisBand_NeitherResolvesNorFiresAgain()
    {
        // Fire, then cruise at 88 km/h: at or below 90 but above the clear limit of 85.
        var readings = Seconds(100f, 0, 70, 10).Concat(Seconds(88f, 70, 600, 10)).Concat(Seconds(100f, 670, 300, 10));

        var fired = Assert.Single(Run(readings));
        Assert.Equal(AlertState.Firing, fired.State);
    }

    [Fact]
    public void Evaluate_AtOrBelowTheClearLimitForTheClearDuration_ResolvesOnceWithTheSameStart()
    {
        var readings = Seconds(100f, 0, 70, 10).Concat(Seconds(85f, 70, 300, 10));

        var changes = Run(readings);

        Assert.Equal([AlertState.Firing, AlertState.Resolved], changes.Select(c => c.State));
        Assert.Equal(changes[0].StartMs, changes[1].StartMs);
        Assert.Equal(Base + 70_000, changes[1].EndMs);
        Assert.Equal(Base + 130_000, changes[1].AtMs);
        Assert.Equal(85f, changes[1].Threshold);
    }

    [Fact]
    public void Evaluate_SameReadingsSplitIntoBatches_DecidesExactlyAsInOne()
    {
        var readings = Seconds(100f, 0, 90, 10).Concat(Seconds(60f, 90, 120, 10)).Concat(Seconds(120f, 210, 100, 10)).ToList();

        var whole = Run(readings);
        var state = new ThresholdState();
        var split = new List<AlertChange>();
        foreach (var chunk in readings.Chunk(4))
        {
            Evaluate(chunk, state, split);
        }

        Assert.Equal(3, whole.Count);
        Assert.Equal(whole, split);
    }

    private List<AlertChange> Run(IEnumerable<(long At, float Kmh)> readings)
    {
        var changes = new List<AlertChange>();
        Evaluate(readings, new ThresholdState(), changes);
        return changes;
    }

    /// <summary>Runs the kernel path and the reading-by-reading reference; they must agree on every change and on the state.</summary>
    private void Evaluate(IEnumerable<(long At, float Kmh)> readings, ThresholdState state, List<AlertChange> changes)
    {
        var list = readings.ToList();
        long baseMs = list[0].At;
        uint[] offsets = list.Select(r => (uint)(r.At - baseMs)).ToArray();
        float[] values = list.Select(r => r.Kmh).ToArray();
        var referenceState = state.Clone();
        var referenceChanges = new List<AlertChange>();
        _rule.EvaluateEachReading(baseMs, offsets, values, referenceState, referenceChanges);

        var fresh = new List<AlertChange>();
        int words = Kernels.ViolationMask.WordsFor(values.Length);
        _rule.Evaluate(baseMs, offsets, values, state, fresh, new ulong[words], new ulong[words]);

        Assert.Equal(referenceChanges, fresh);
        Assert.Equal(referenceState.ToString(), state.ToString());
        changes.AddRange(fresh);
    }

    private static IEnumerable<(long At, float Kmh)> Seconds(float kmh, int fromSecond, int seconds, int every) =>
        Enumerable.Range(0, seconds / every).Select(i => (Base + ((fromSecond + (i * every)) * 1000L), kmh));
}
