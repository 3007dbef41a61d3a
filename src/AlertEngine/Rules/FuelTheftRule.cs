using Convoy.AlertEngine.Kernels;
using Convoy.Contracts.Alerts.V1;

namespace Convoy.AlertEngine.Rules;

/// <summary>Where one (device, fuel-theft rule) is. Survives between batches.</summary>
internal sealed class FuelTheftState
{
    public bool Firing;
    public long AlertStartMs;     // time of the level the drop is measured from
    public float StartLevel;      // that level
    public float LowestLevel;     // lowest level since, while firing
    public long LastReadingMs = long.MinValue;
    public bool HasFix;           // a GPS fix has been seen in an earlier batch...
    public bool LastFixStationary; // ...and its speed said standing still

    /// <summary>
    /// Stationary readings (time, level) that may still be the top of a drop: within the window
    /// of the latest one. The kernel path keeps only those not topped by a later, higher-or-equal
    /// one (a monotonic queue: levels strictly fall from <see cref="Head"/> to the end); the
    /// reference keeps them all. So the two paths' windows differ and <see cref="ToString"/>
    /// leaves them out.
    /// </summary>
    public readonly List<(long AtMs, float Level)> Window = [];
    public int Head;

    public void ClearWindow()
    {
        Window.Clear();
        Head = 0;
    }

    public override string ToString() =>
        $"{(Firing ? "Firing" : "Normal")} start@{AlertStartMs} from {StartLevel} lowest {LowestLevel} last@{LastReadingMs} fix {HasFix}/{LastFixStationary}";
}

/// <summary>
/// Evaluates <see cref="FuelTheftRuleOptions"/> over a batch's fuel column, with the GPS speed
/// column saying whether the truck stands still. Fires once per stop, when the level has fallen
/// more than the limit below the highest level of the last <c>Within</c> (measured from the latest
/// reading at that highest level, which becomes the alert's start); the last reading taken while
/// moving, the level the truck stopped with, belongs to that window too. Resolves at the first fuel
/// reading taken while moving. NaN levels are ignored; a fuel reading with no GPS fix at or before
/// it (in this batch or an earlier one) counts as moving.
/// </summary>
/// <remarks>
/// The SIMD kernel classifies the whole speed column as standing still or not; the fuel column is
/// then walked in scalar with a monotonic queue for the window's highest level. The window is not
/// a per-reading predicate (each decision depends on every reading of the last W), so it cannot be
/// a mask; the queue makes it amortised O(1) per reading. <see cref="EvaluateEachReading"/> is the
/// plain reference: it looks the speed up fix by fix and scans the whole window for its highest
/// level at every reading.
/// </remarks>
internal sealed class FuelTheftRule : IAlertRule
{
    private readonly FuelTheftRuleOptions _options;
    private readonly long _withinMs;

    public FuelTheftRule(FuelTheftRuleOptions options)
    {
        _options = options;
        _withinMs = (long)options.Within.TotalMilliseconds;
        Description = new RuleDescription(RuleKinds.FuelTheft, Signals.FuelLevel, 0, null, null,
            $"fuel level falls more than {RuleKinds.Number(options.DropPercent)} percent within {RuleKinds.Duration(options.Within)} while below "
            + $"{RuleKinds.Number(options.StationaryBelowKmh)} km/h; resolves when the truck moves");
    }

    public RuleDescription Description { get; }

    public string Id => _options.Id;

    public Severity Severity => _options.Severity;

    /// <summary>
    /// Runs one batch's fuel readings (<paramref name="fuelOffsetsMs"/>, <paramref name="levelsPercent"/>) and
    /// GPS speeds (<paramref name="gpsOffsetsMs"/>, <paramref name="speedsKmh"/>; either may be empty) through the
    /// rule. Returns how many fuel readings were late and skipped. <paramref name="stationary"/> is a
    /// scratch mask of at least <see cref="ViolationMask.WordsFor"/>(GPS fixes) words.
    /// </summary>
    public int Evaluate(long baseTimeMs, ReadOnlySpan<uint> fuelOffsetsMs, ReadOnlySpan<float> levelsPercent, float tankCapacityL,
        ReadOnlySpan<uint> gpsOffsetsMs, ReadOnlySpan<float> speedsKmh, FuelTheftState state, List<AlertChange> changes, Span<ulong> stationary)
    {
        int fixes = speedsKmh.Length;
        VectorKernels.Below(speedsKmh, _options.StationaryBelowKmh, stationary);
        int late = 0;
        int g = 0; // fixes [0, g) are at or before the current fuel reading
        for (int i = 0; i < levelsPercent.Length; i++)
        {
            long t = baseTimeMs + fuelOffsetsMs[i];
            if (t < state.LastReadingMs)
            {
                late++;
                continue;
            }

            state.LastReadingMs = t;
            while (g < fixes && baseTimeMs + gpsOffsetsMs[g] <= t)
            {
                g++;
            }

            bool still = g > 0 ? ViolationMask.IsSet(stationary, g - 1) : state.HasFix && state.LastFixStationary;
            float level = levelsPercent[i];
            if (float.IsNaN(level))
            {
                continue;
            }

            if (!still)
            {
                Moved(t, level, tankCapacityL, state, changes);
                continue;
            }

            if (state.Firing)
            {
                state.LowestLevel = Math.Min(state.LowestLevel, level);
                continue;
            }

            // Monotonic queue: drop the entries the new reading tops (their level <= its level:
            // it is later, so it outlives them in the window), then those that left the window.
            var window = state.Window;
            while (window.Count > state.Head && window[^1].Level <= level)
            {
                window.RemoveAt(window.Count - 1);
            }

            window.Add((t, level));
            long oldest = WindowStart(t); // the reading just added is never before it, so this stops
            while (window[state.Head].AtMs < oldest)
            {
                state.Head++;
            }

            if (state.Head > 64 && state.Head * 2 > window.Count)
            {
                window.RemoveRange(0, state.Head);
                state.Head = 0;
            }

            var top = window[state.Head];
            CheckDrop(top.AtMs, top.Level, t, level, tankCapacityL, state, changes);
        }

        if (fixes > 0)
        {
            state.HasFix = true;
            state.LastFixStationary = ViolationMask.IsSet(stationary, fixes - 1);
        }

        return late;
    }

    /// <summary>The same decisions, the plain way: the reference for <see cref="Evaluate"/>.</summary>
    public int EvaluateEachReading(long baseTimeMs, ReadOnlySpan<uint> fuelOffsetsMs, ReadOnlySpan<float> levelsPercent, float tankCapacityL,
        ReadOnlySpan<uint> gpsOffsetsMs, ReadOnlySpan<float> speedsKmh, FuelTheftState state, List<AlertChange> changes)
    {
        int late = 0;
        for (int i = 0; i < levelsPercent.Length; i++)
        {
            long t = baseTimeMs + fuelOffsetsMs[i];
            if (t < state.LastReadingMs)
            {
                late++;
                continue;
            }

            state.LastReadingMs = t;
            int lastFix = -1;
            for (int f = 0; f < speedsKmh.Length; f++)
            {
                if (baseTimeMs + gpsOffsetsMs[f] <= t)
                {
                    lastFix = f;
                }
            }

            bool still = lastFix >= 0 ? speedsKmh[lastFix] < _options.StationaryBelowKmh : state.HasFix && state.LastFixStationary;
            float level = levelsPercent[i];
            if (float.IsNaN(level))
            {
                continue;
            }

            if (!still)
            {
                Moved(t, level, tankCapacityL, state, changes);
                continue;
            }

            if (state.Firing)
            {
                state.LowestLevel = Math.Min(state.LowestLevel, level);
                continue;
            }

            var window = state.Window;
            window.Add((t, level));
            long oldest = WindowStart(t);
            window.RemoveAll(r => r.AtMs < oldest);
            var top = window[0];
            foreach (var r in window)
            {
                if (r.Level >= top.Level)
                {
                    top = r; // the latest of the highest
                }
            }

            CheckDrop(top.AtMs, top.Level, t, level, tankCapacityL, state, changes);
        }

        if (speedsKmh.Length > 0)
        {
            state.HasFix = true;
            state.LastFixStationary = speedsKmh[^1] < _options.StationaryBelowKmh;
        }

        return late;
    }

    private void CheckDrop(long topAtMs, float topLevel, long t, float level, float tankCapacityL, FuelTheftState state, List<AlertChange> changes)
    {
        float drop = topLevel - level;
        if (!(drop > _options.DropPercent))
        {
            return;
        }

        state.Firing = true;
        state.AlertStartMs = topAtMs;
        state.StartLevel = topLevel;
        state.LowestLevel = level;
        state.ClearWindow();
        changes.Add(new AlertChange(_options.Id, 0, AlertState.Firing, _options.Severity, topAtMs, 0, t, drop, _options.DropPercent, _options.Within,
            RuleKind.FuelTheft, Litres(drop, tankCapacityL)));
    }

    /// <summary>
    /// A fuel reading while moving: ends the stop, resolving its alert if one fired. The reading
    /// anchors the next stop's window: it is the level the truck stopped with, so a tank drained
    /// between the last reading on the road and the first one at the stop (sparse fuel readings)
    /// still counts as a drop, as long as that reading is within <c>Within</c>.
    /// </summary>
    private void Moved(long t, float level, float tankCapacityL, FuelTheftState state, List<AlertChange> changes)
    {
        state.ClearWindow();
        state.Window.Add((t, level));
        if (!state.Firing)
        {
            return;
        }

        state.Firing = false;
        float lost = state.StartLevel - state.LowestLevel;
        changes.Add(new AlertChange(_options.Id, 0, AlertState.Resolved, _options.Severity, state.AlertStartMs, t, t, lost, _options.DropPercent, _options.Within,
            RuleKind.FuelTheft, Litres(lost, tankCapacityL)));
    }

    /// <summary>The earliest time still in the window of a reading at <paramref name="t"/>; saturates, so an absurd base time cannot wrap it past <paramref name="t"/>.</summary>
    private long WindowStart(long t) => t < long.MinValue + _withinMs ? long.MinValue : t - _withinMs;

    private static float Litres(float percent, float tankCapacityL) => tankCapacityL > 0 && float.IsFinite(tankCapacityL) ? percent / 100f * tankCapacityL : float.NaN;
}
