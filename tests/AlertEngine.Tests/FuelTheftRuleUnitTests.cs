using Convoy.AlertEngine.Rules;
using Convoy.Contracts.Alerts.V1;

namespace Convoy.AlertEngine.Tests;

public sealed class FuelTheftRuleUnitTests
{
    private const long Base = 1_700_000_000_000;
    private readonly FuelTheftRule _rule = new(new FuelTheftRuleOptions
    {
        Id = "theft",
        DropPercent = 5,
        Within = TimeSpan.FromMinutes(10),
        StationaryBelowKmh = 1,
    });

    [Fact]
    public void Evaluate_LevelFallsFastWhileStanding_FiresOnceWithPercentAndLitres()
    {
        // Parked (0 km/h); 60 % falling 2 points a minute: more than 5 points after 3 minutes.
        var fuel = Levels(0, 60, 58, 56, 54, 52, 50, 48);

        var changes = Run(fuel, Speeds((0, 0f)), capacityL: 400);

        var fired = Assert.Single(changes);
        Assert.Equal(AlertState.Firing, fired.State);
        Assert.Equal(RuleKind.FuelTheft, fired.Kind);
        Assert.Equal(Base, fired.StartMs);
        Assert.Equal(Base + Minute(3), fired.AtMs);
        Assert.Equal(6f, fired.Value);
        Assert.Equal(24f, fired.Litres); // 6 % of 400 L
    }

    [Fact]
    public void Evaluate_SparseReadings_TankDrainedBetweenTheLastOnTheRoadAndTheFirstAtTheStop_Fires()
    {
        // 75.75 % at 108 km/h, then 63.75 % standing 4 s later: the level the truck stopped with
        // anchors the window, so the 12-point drop counts although no stationary reading saw the top.
        long stop = Base + 4_000;
        var changes = Run([(Base, 75.75f), (stop, 63.75f)], [(Base, 108f), (stop - 1_000, 0f)], capacityL: 400);

        var fired = Assert.Single(changes);
        Assert.Equal(AlertState.Firing, fired.State);
        Assert.Equal(Base, fired.StartMs); // the reading the drop is measured from
        Assert.Equal(stop, fired.AtMs);
        Assert.Equal(12f, fired.Value);
        Assert.Equal(48f, fired.Litres);
    }

    [Fact]
    public void Evaluate_SparseReadings_AnchorOlderThanTheWindow_DoesNotFire()
    {
        // The last reading on the road is 11 minutes before the first at the stop: outside the 10-minute window.
        long stop = Base + Minute(11);
        Assert.Empty(Run([(Base, 75.75f), (stop, 63.75f)], [(Base, 108f), (stop - 1_000, 0f)], capacityL: 400));
    }

    [Fact]
    public void Evaluate_UnknownTankCapacity_ReportsNoLitres()
    {
        var fired = Assert.Single(Run(Levels(0, 60, 50), Speeds((0, 0f)), capacityL: 0));

        Assert.Equal(10f, fired.Value);
        Assert.True(float.IsNaN(fired.Litres));
    }

    [Fact]
    public void Evaluate_SameDropWhileDriving_DoesNotFire()
    {
        Assert.Empty(Run(Levels(0, 60, 58, 56, 54, 52, 50), Speeds((0, 80f)), capacityL: 400));
    }

    [Fact]
    public void Evaluate_SlowDrainOverMoreThanTheWindow_DoesNotFire()
    {
        // 1 point every 3 minutes while idling: 5 points need 15 minutes, the window is 10.
        Assert.Empty(Run(Levels(0, 60, 59, 58, 57, 56, 55, 54).Select((r, i) => (r.At + Minute(2 * i), r.Level)), Speeds((0, 0f)), capacityL: 400));
    }

    [Fact]
    public void Evaluate_NoGpsFixKnown_DoesNotFire()
    {
        Assert.Empty(Run(Levels(0, 60, 50, 40), Speeds(), capacityL: 400));
    }

    [Fact]
    public void Evaluate_DrivingOffAfterTheTheft_ResolvesOnceWithTheTotalLost()
    {
        // Parked from minute 0, drained 60 → 40, then drives off at minute 6.
        var fuel = Levels(0, 60, 55, 50, 45, 40, 40, 40, 40);

        var changes = Run(fuel, Speeds((0, 0f), (6, 50f)), capacityL: 400);

        Assert.Equal([AlertState.Firing, AlertState.Resolved], changes.Select(c => c.State));
        Assert.Equal(changes[0].StartMs, changes[1].StartMs);
        Assert.Equal(Base + Minute(6), changes[1].EndMs);
        Assert.Equal(20f, changes[1].Value);
        Assert.Equal(80f, changes[1].Litres);
    }

    [Fact]
    public void Evaluate_RefuelThenDrop_MeasuresFromTheHighestLevelInTheWindow()
    {
        var fuel = Levels(0, 30, 90, 88, 86, 84);

        var fired = Assert.Single(Run(fuel, Speeds((0, 0.3f)), capacityL: 0));

        Assert.Equal(Base + Minute(1), fired.StartMs);
        Assert.Equal(6f, fired.Value);
    }

    [Fact]
    public void Evaluate_BaseTimeAtTheStartOfTime_DoesNotWrapTheWindow()
    {
        var state = new FuelTheftState();
        var changes = new List<AlertChange>();

        Evaluate([(long.MinValue, 60f), (long.MinValue + Minute(1), 50f)], [(long.MinValue, 0f)], 0, state, changes, long.MinValue);

        Assert.Equal(10f, Assert.Single(changes).Value);
    }

    [Fact]
    public void Evaluate_SameReadingsSplitIntoBatches_DecidesExactlyAsInOne()
    {
        var fuel = Levels(0, 60, 58, 56, 54, 52, 50, 50, 50, 50, 50, 45, 40, 40, 40, 40).ToList();
        var gps = Speeds((0, 0f), (7, 40f), (9, 0f), (14, 30f)).ToList();

        var whole = Run(fuel, gps, capacityL: 400);
        var state = new FuelTheftState();
        var split = new List<AlertChange>();
        for (int minute = 0; minute < 16; minute += 3)
        {
            long from = Base + Minute(minute), to = Base + Minute(minute + 3);
            Evaluate(fuel.Where(r => r.At >= from && r.At < to), gps.Where(r => r.At >= from && r.At < to), 400, state, split, from);
        }

        Assert.Equal(4, whole.Count);
        Assert.Equal(whole, split);
    }

    private List<AlertChange> Run(IEnumerable<(long At, float Level)> fuel, IEnumerable<(long At, float Kmh)> gps, float capacityL)
    {
        var changes = new List<AlertChange>();
        Evaluate(fuel, gps, capacityL, new FuelTheftState(), changes, Base);
        return changes;
    }

    /// <summary>Runs the kernel path and the reference over one batch; they must agree on every change and on the state.</summary>
    private void Evaluate(IEnumerable<(long At, float Level)> fuel, IEnumerable<(long At, float Kmh)> gps, float capacityL, FuelTheftState state, List<AlertChange> changes, long baseMs)
    {
        var f = fuel.ToList();
        var g = gps.ToList();
        uint[] fuelOffsets = f.Select(r => (uint)(r.At - baseMs)).ToArray();
        float[] levels = f.Select(r => r.Level).ToArray();
        uint[] gpsOffsets = g.Select(r => (uint)(r.At - baseMs)).ToArray();
        float[] speeds = g.Select(r => r.Kmh).ToArray();
        var referenceState = new FuelTheftState { Firing = state.Firing, AlertStartMs = state.AlertStartMs, StartLevel = state.StartLevel, LowestLevel = state.LowestLevel, LastReadingMs = state.LastReadingMs, HasFix = state.HasFix, LastFixStationary = state.LastFixStationary };
        referenceState.Window.AddRange(state.Window.Skip(state.Head));
        var referenceChanges = new List<AlertChange>();
        _rule.EvaluateEachReading(baseMs, fuelOffsets, levels, capacityL, gpsOffsets, speeds, referenceState, referenceChanges);

        var fresh = new List<AlertChange>();
        _rule.Evaluate(baseMs, fuelOffsets, levels, capacityL, gpsOffsets, speeds, state, fresh, new ulong[Kernels.ViolationMask.WordsFor(speeds.Length)]);

        Assert.Equal(referenceChanges, fresh);
        Assert.Equal(referenceState.ToString(), state.ToString());
        changes.AddRange(fresh);
    }

    /// <summary>One fuel reading a minute from <paramref name="fromMinute"/>.</summary>
    private static IEnumerable<(long At, float Level)> Levels(int fromMinute, params float[] levels) =>
        levels.Select((l, i) => (Base + Minute(fromMinute + i), l));

    /// <summary>GPS fixes at (minute, speed), each holding until the next.</summary>
    private static IEnumerable<(long At, float Kmh)> Speeds(params (int Minute, float Kmh)[] fixes) =>
        fixes.Select(x => (Base + Minute(x.Minute), x.Kmh));

    private static long Minute(int minutes) => minutes * 60_000L;
}
