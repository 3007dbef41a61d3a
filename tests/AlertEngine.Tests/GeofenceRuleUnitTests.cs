using Convoy.AlertEngine.Rules;
using Convoy.Contracts.Alerts.V1;

namespace Convoy.AlertEngine.Tests;

public sealed class GeofenceRuleUnitTests
{
    private const long Base = 1_700_000_000_000;
    private const double Lat = 52.5, Lon = 4.9;  // the depot
    private const double Far = 52.6;             // ~11 km north of it

    [Fact]
    public void Evaluate_InsideRule_FiresOnceOnEnteringAndResolvesOnceOnLeaving()
    {
        var rule = Circle(GeofenceAlertWhen.Inside);
        // Outside, then inside for three fixes, then outside for three.
        var changes = Run(rule, [Far, Far, Lat, Lat + 0.001, Lat, Far, Far, Far]);

        Assert.Equal([AlertState.Firing, AlertState.Resolved], changes.Select(c => c.State));
        Assert.All(changes, c => Assert.Equal(RuleKind.Geofence, c.Kind));
        Assert.Equal(Base + Minute(2), changes[0].StartMs);
        Assert.Equal(Base + Minute(2), changes[0].AtMs);
        Assert.Equal(changes[0].StartMs, changes[1].StartMs);
        Assert.Equal(Base + Minute(5), changes[1].EndMs);
        Assert.Equal(1f, changes[0].Threshold); // fired on the inside
    }

    [Fact]
    public void Evaluate_MustStayInsideRule_FiresOnLeavingAndResolvesOnComingBack()
    {
        var rule = Circle(GeofenceAlertWhen.Outside);

        var changes = Run(rule, [Lat, Lat, Far, Far, Far, Lat, Lat]);

        Assert.Equal([AlertState.Firing, AlertState.Resolved], changes.Select(c => c.State));
        Assert.Equal(Base + Minute(2), changes[0].StartMs);
        Assert.Equal(Base + Minute(5), changes[1].AtMs);
        Assert.Equal(0f, changes[0].Threshold); // fired on the outside
    }

    [Fact]
    public void Evaluate_DwellTimeNotReached_DoesNotFire()
    {
        var rule = Circle(GeofenceAlertWhen.Inside, dwell: TimeSpan.FromMinutes(3));

        Assert.Empty(Run(rule, [Far, Lat, Lat, Lat, Far, Lat, Far]));
        var fired = Run(rule, [Far, Lat, Lat, Lat, Lat, Lat, Far])[0];
        Assert.Equal(AlertState.Firing, fired.State);
        Assert.Equal(Base + Minute(4), fired.AtMs); // entered at minute 1, inside for 3 minutes
    }

    [Fact]
    public void Evaluate_FixWithoutAPosition_IsOnNeitherSide()
    {
        var rule = Circle(GeofenceAlertWhen.Outside);

        Assert.Empty(Run(rule, [Lat, double.NaN, double.PositiveInfinity, Lat]));
    }

    [Fact]
    public void Evaluate_Polygon_FiresOnEnteringIt()
    {
        var options = new GeofenceRuleOptions { Id = "yard", AlertWhen = GeofenceAlertWhen.Inside };
        options.Polygon.Add(new GeoPoint { LatitudeDeg = 52.49, LongitudeDeg = 4.89 });
        options.Polygon.Add(new GeoPoint { LatitudeDeg = 52.51, LongitudeDeg = 4.89 });
        options.Polygon.Add(new GeoPoint { LatitudeDeg = 52.51, LongitudeDeg = 4.91 });
        options.Polygon.Add(new GeoPoint { LatitudeDeg = 52.49, LongitudeDeg = 4.91 });

        var changes = Run(new GeofenceRule(options), [Far, Lat, Lat, Far]);

        Assert.Equal([AlertState.Firing, AlertState.Resolved], changes.Select(c => c.State));
    }

    [Fact]
    public void Evaluate_SameFixesSplitIntoBatches_DecidesExactlyAsInOne()
    {
        var rule = Circle(GeofenceAlertWhen.Inside, dwell: TimeSpan.FromMinutes(1));
        double[] lats = [Far, Lat, Lat, Lat, Far, Far, Lat, Lat, Far, Lat, Far, Far];

        var whole = Run(rule, lats);
        var state = new ThresholdState();
        var split = new List<AlertChange>();
        for (int i = 0; i < lats.Length; i += 5)
        {
            split.AddRange(Run(rule, lats[i..Math.Min(lats.Length, i + 5)], state, firstMinute: i));
        }

        Assert.Equal(4, whole.Count);
        Assert.Equal(whole, split);
    }

    private static GeofenceRule Circle(GeofenceAlertWhen when, TimeSpan dwell = default) =>
        new(new GeofenceRuleOptions { Id = "depot", AlertWhen = when, CentreLatitudeDeg = Lat, CentreLongitudeDeg = Lon, RadiusM = 500, For = dwell });

    /// <summary>One fix a minute at the given latitudes (longitude of the depot); kernel path and reference must agree.</summary>
    private static List<AlertChange> Run(GeofenceRule rule, double[] latitudes, ThresholdState? state = null, int firstMinute = 0)
    {
        state ??= new ThresholdState();
        long baseMs = Base + Minute(firstMinute);
        uint[] offsets = latitudes.Select((_, i) => (uint)Minute(i)).ToArray();
        double[] longitudes = latitudes.Select(_ => Lon).ToArray();
        float[] speeds = latitudes.Select(_ => 30f).ToArray();
        var referenceState = state.Clone();
        var referenceChanges = new List<AlertChange>();
        rule.EvaluateEachReading(baseMs, offsets, latitudes, longitudes, speeds, referenceState, referenceChanges);

        var changes = new List<AlertChange>();
        int words = Kernels.ViolationMask.WordsFor(latitudes.Length);
        rule.Evaluate(baseMs, offsets, latitudes, longitudes, speeds, state, changes, new ulong[words], new ulong[words]);

        Assert.Equal(referenceChanges, changes);
        Assert.Equal(referenceState.ToString(), state.ToString());
        return changes;
    }

    private static long Minute(int minutes) => minutes * 60_000L;
}
