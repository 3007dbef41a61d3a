using Convoy.AlertEngine.Rules;
using Convoy.Contracts.Alerts.V1;

namespace Convoy.AlertEngine.Tests;

public sealed class TemperatureRuleUnitTests
{
    private const long Base = 1_700_000_000_000;
    private readonly TemperatureRule _rule = new(new TemperatureRuleOptions
    {
        Id = "warm",
        AboveC = 8,
        For = TimeSpan.FromMinutes(5),
        ClearBelowC = 7.5f,
        ClearFor = TimeSpan.FromMinutes(2),
    });

    [Fact]
    public void Evaluate_AboveForTheWholeDuration_FiresOnceAtTheReadingThatCompletesIt()
    {
        var changes = Run(Minutes(9.0f, 0, 10)); // 9 °C every minute for 10 minutes

        var fired = Assert.Single(changes);
        Assert.Equal(AlertState.Firing, fired.State);
        Assert.Equal(Base, fired.StartMs);
        Assert.Equal(Base + Minute(5), fired.AtMs);
        Assert.Equal(9.0f, fired.Value);
    }

    [Fact]
    public void Evaluate_AboveForLessThanTheDuration_DoesNotFire()
    {
        var readings = Minutes(9.0f, 0, 4).Concat(Minutes(7.0f, 4, 1)).Concat(Minutes(9.0f, 5, 4));

        Assert.Empty(Run(readings));
    }

    [Fact]
    public void Evaluate_HoveringBetweenThresholds_NeitherResolvesNorFiresAgain()
    {
        // Fire, then hover at 7.8 °C: below the firing threshold but above the clear threshold.
        var readings = Minutes(9.0f, 0, 6).Concat(Minutes(7.8f, 6, 20)).Concat(Minutes(9.5f, 26, 10));

        var fired = Assert.Single(Run(readings));
        Assert.Equal(AlertState.Firing, fired.State);
    }

    [Fact]
    public void Evaluate_ClearForTheClearDuration_ResolvesOnceWithTheSameStart()
    {
        var readings = Minutes(9.0f, 0, 6).Concat(Minutes(7.0f, 6, 10));

        var changes = Run(readings);

        Assert.Equal([AlertState.Firing, AlertState.Resolved], changes.Select(c => c.State));
        Assert.Equal(changes[0].StartMs, changes[1].StartMs);
        Assert.Equal(Base + Minute(6), changes[1].EndMs);
        Assert.Equal(Base + Minute(8), changes[1].AtMs);
    }

    [Fact]
    public void Evaluate_ClearInterruptedBeforeTheClearDuration_StaysFiring()
    {
        var readings = Minutes(9.0f, 0, 6).Concat(Minutes(7.0f, 6, 1)).Concat(Minutes(7.9f, 7, 1)).Concat(Minutes(7.0f, 8, 1));

        Assert.Single(Run(readings));
    }

    [Fact]
    public void Evaluate_SameReadingsSplitIntoBatches_DecidesExactlyAsInOne()
    {
        var readings = Minutes(9.0f, 0, 7).Concat(Minutes(6.0f, 7, 5)).Concat(Minutes(10f, 12, 8)).ToList();

        var whole = Run(readings);
        var state = new ThresholdState();
        var split = new List<AlertChange>();
        foreach (var chunk in readings.Chunk(3))
        {
            Evaluate(chunk, state, split);
        }

        Assert.Equal(3, whole.Count);
        Assert.Equal(whole, split);
    }

    [Fact]
    public void Evaluate_ReadingsOlderThanTheLastSeen_AreSkippedAndCounted()
    {
        var state = new ThresholdState();
        var changes = new List<AlertChange>();
        Evaluate(Minutes(9.0f, 10, 1), state, changes);

        int late = Evaluate(Minutes(9.0f, 0, 5), state, changes);

        Assert.Equal(5, late);
        Assert.Empty(changes);
    }

    private List<AlertChange> Run(IEnumerable<(long At, float C)> readings)
    {
        var changes = new List<AlertChange>();
        Evaluate(readings, new ThresholdState(), changes);
        return changes;
    }

    /// <summary>Runs the kernel path and the reading-by-reading reference; they must agree on every change and on the state.</summary>
    private int Evaluate(IEnumerable<(long At, float C)> readings, ThresholdState state, List<AlertChange> changes)
    {
        var list = readings.ToList();
        long baseMs = list.Count == 0 ? Base : list[0].At;
        uint[] offsets = list.Select(r => (uint)(r.At - baseMs)).ToArray();
        float[] values = list.Select(r => r.C).ToArray();
        var referenceState = state.Clone();
        var referenceChanges = new List<AlertChange>();
        int referenceLate = _rule.EvaluateEachReading(1, baseMs, offsets, values, referenceState, referenceChanges);

        var fresh = new List<AlertChange>();
        int words = Kernels.ViolationMask.WordsFor(values.Length);
        int late = _rule.Evaluate(1, baseMs, offsets, values, state, fresh, new ulong[words], new ulong[words]);

        Assert.Equal(referenceChanges, fresh);
        Assert.Equal(referenceState.ToString(), state.ToString());
        Assert.Equal(referenceLate, late);
        changes.AddRange(fresh);
        return late;
    }

    private static IEnumerable<(long At, float C)> Minutes(float celsius, int fromMinute, int count) =>
        Enumerable.Range(fromMinute, count).Select(m => (Base + Minute(m), celsius));

    private static long Minute(int minutes) => minutes * 60_000L;
}
