using Convoy.Contracts.Alerts.V1;
using Convoy.AlertEngine.Kernels;

namespace Convoy.AlertEngine.Rules;

/// <summary>
/// Evaluates <see cref="GeofenceRuleOptions"/> over a batch's GPS columns with the shared
/// <see cref="ThresholdMachine"/>. <see cref="Evaluate"/> tests every fix against the fence with
/// <see cref="VectorKernels.InsideCircle(ReadOnlySpan{double}, ReadOnlySpan{double}, CircleFence, Span{ulong})"/> /
/// <see cref="VectorKernels.InsidePolygon(ReadOnlySpan{double}, ReadOnlySpan{double}, PolygonFence, Span{ulong})"/>; the
/// alerting side is "inside" or "outside" per <see cref="GeofenceAlertWhen"/>. A fix with a
/// non-finite coordinate is on neither side (the kernels never put it inside, so "not inside"
/// alone would wrongly count it as outside); the collector refuses such fixes, this is defence
/// in depth. <see cref="EvaluateEachReading"/> is the fix-by-fix reference. Alerts carry zone 0
/// and report the ground speed at the crossing.
/// </summary>
internal sealed class GeofenceRule : IAlertRule
{
    private readonly ThresholdMachine _machine;
    private readonly CircleFence _circle;
    private readonly PolygonFence? _polygon;
    private readonly bool _alertInside;

    public GeofenceRule(GeofenceRuleOptions options)
    {
        Id = options.Id;
        Severity = options.Severity;
        _alertInside = options.AlertWhen == GeofenceAlertWhen.Inside;
        if (options.IsPolygon)
        {
            var lat = new double[options.Polygon.Count];
            var lon = new double[options.Polygon.Count];
            for (int i = 0; i < lat.Length; i++)
            {
                lat[i] = options.Polygon[i].LatitudeDeg;
                lon[i] = options.Polygon[i].LongitudeDeg;
            }

            _polygon = new PolygonFence(lat, lon);
        }
        else
        {
            _circle = new CircleFence(options.CentreLatitudeDeg, options.CentreLongitudeDeg, options.RadiusM / GeofenceRuleOptions.MetresPerDegree);
        }

        // The "threshold" an alert reports is 1 for inside, 0 for outside: the side that fired / resolved it.
        float fireSide = _alertInside ? 1f : 0f;
        _machine = new ThresholdMachine(options.Id, options.Severity, RuleKind.Geofence, fireSide, 1f - fireSide, options.For, options.ClearFor);
        var fence = new FenceDescription(_alertInside, options.CentreLatitudeDeg, options.CentreLongitudeDeg, options.RadiusM,
            [.. options.Polygon.Select(static v => new GeoPoint { LatitudeDeg = v.LatitudeDeg, LongitudeDeg = v.LongitudeDeg })]);
        string area = options.IsPolygon
            ? $"the area of {options.Polygon.Count} vertices"
            : $"the circle of {RuleKinds.Number(options.RadiusM)} m around {RuleKinds.Number(options.CentreLatitudeDeg)}, {RuleKinds.Number(options.CentreLongitudeDeg)}";
        string stays = options.For > TimeSpan.Zero ? $" and stays {(_alertInside ? "inside" : "outside")} for {RuleKinds.Duration(options.For)}" : "";
        Description = new RuleDescription(RuleKinds.Geofence, Signals.GpsPosition, 0, null, null,
            $"{(_alertInside ? "enters" : "leaves")} {area}{stays}; resolves on {(_alertInside ? "leaving" : "coming back")}{RuleKinds.For(options.ClearFor)}", fence);
    }

    public RuleDescription Description { get; }

    public string Id { get; }

    public Severity Severity { get; }

    /// <summary>As <see cref="TemperatureRule.Evaluate"/>, over the GPS columns (all of one length); returns how many fixes were late and skipped.</summary>
    public int Evaluate(long baseTimeMs, ReadOnlySpan<uint> offsetsMs, ReadOnlySpan<double> latitudesDeg, ReadOnlySpan<double> longitudesDeg, ReadOnlySpan<float> speedsKmh,
        ThresholdState state, List<AlertChange> changes, Span<ulong> inside, Span<ulong> other)
    {
        int n = offsetsMs.Length;
        int late = ThresholdMachine.FirstNotLate(offsetsMs, baseTimeMs, state);
        if (late == n)
        {
            return late;
        }

        if (_polygon is null)
        {
            VectorKernels.InsideCircle(latitudesDeg, longitudesDeg, _circle, inside);
        }
        else
        {
            VectorKernels.InsidePolygon(latitudesDeg, longitudesDeg, _polygon, inside);
        }

        // other = valid & ~inside: outside the fence, with a real position.
        int words = ViolationMask.WordsFor(n);
        other[..words].Clear();
        for (int i = 0; i < n; i++)
        {
            if (double.IsFinite(latitudesDeg[i]) && double.IsFinite(longitudesDeg[i]))
            {
                other[i >> 6] |= 1UL << (i & 63);
            }
        }

        for (int w = 0; w < words; w++)
        {
            other[w] &= ~inside[w];
        }

        if (_alertInside)
        {
            _machine.Run(0, baseTimeMs, offsetsMs, speedsKmh, late, state, changes, violating: inside, cleared: other);
        }
        else
        {
            _machine.Run(0, baseTimeMs, offsetsMs, speedsKmh, late, state, changes, violating: other, cleared: inside);
        }

        return late;
    }

    /// <summary>The same decisions, fix by fix with the scalar fence test: the reference for <see cref="Evaluate"/>.</summary>
    public int EvaluateEachReading(long baseTimeMs, ReadOnlySpan<uint> offsetsMs, ReadOnlySpan<double> latitudesDeg, ReadOnlySpan<double> longitudesDeg, ReadOnlySpan<float> speedsKmh,
        ThresholdState state, List<AlertChange> changes)
    {
        int late = 0;
        for (int i = 0; i < offsetsMs.Length; i++)
        {
            double lat = latitudesDeg[i], lon = longitudesDeg[i];
            bool isInside = _polygon is null ? InsideCircleOp.Matches(lat, lon, _circle) : InsidePolygonOp.Matches(lat, lon, _polygon);
            bool isOutside = !isInside && double.IsFinite(lat) && double.IsFinite(lon);
            bool violating = _alertInside ? isInside : isOutside;
            bool cleared = _alertInside ? isOutside : isInside;
            if (!_machine.Step(0, baseTimeMs + offsetsMs[i], speedsKmh[i], violating, cleared, state, changes))
            {
                late++;
            }
        }

        return late;
    }
}
