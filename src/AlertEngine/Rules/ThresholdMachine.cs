using System.Numerics;
using Convoy.Contracts.Alerts.V1;

namespace Convoy.AlertEngine.Rules;

/// <summary>What kind of rule decided an <see cref="AlertChange"/>: picks the unit and the sentence of its alert.</summary>
internal enum RuleKind
{
    Temperature,
    Speed,
    FuelTheft,
    Geofence,
    Threshold,
    ThresholdBelow,
    Range,
    RateOfChange,
    Silent,
}

/// <summary>A change of an alert's state that a rule decided, before it becomes an <see cref="Alert"/>.</summary>
/// <remarks><paramref name="Threshold"/> is in the unit of <paramref name="Value"/> (for a geofence, the side: 1 inside, 0 outside). <paramref name="Litres"/> is only for <see cref="RuleKind.FuelTheft"/>: the drop in litres, or NaN when the tank's capacity is unknown. <paramref name="Signal"/> is the column a threshold, range or rate-of-change rule read.</remarks>
internal readonly record struct AlertChange(
    string RuleId, uint Zone, AlertState State, Severity Severity, long StartMs, long EndMs, long AtMs, float Value, float Threshold, TimeSpan For,
    RuleKind Kind = RuleKind.Temperature, float Litres = float.NaN, Signal Signal = Signal.Temperature);

/// <summary>Where one (device, rule, zone) is in its lifecycle. Survives between batches.</summary>
internal sealed class ThresholdState
{
    public ThresholdPhase Phase;
    public long PendingSinceMs;  // first reading above the threshold (Pending)
    public long AlertStartMs;    // start of the firing alert (Firing, Clearing)
    public long ClearSinceMs;    // first reading at or below the clear threshold (Clearing)
    public long LastReadingMs = long.MinValue;
    public float LastValue = float.NaN; // the reading at LastReadingMs: a rate-of-change rule's previous reading across batches

    public ThresholdState Clone() => (ThresholdState)MemberwiseClone();

    public override string ToString() => $"{Phase} pending@{PendingSinceMs} start@{AlertStartMs} clear@{ClearSinceMs} last@{LastReadingMs}";
}

internal enum ThresholdPhase
{
    Normal,
    Pending,
    Firing,
    Clearing,
}

/// <summary>
/// The threshold-with-duration lifecycle shared by every rule whose readings each either violate,
/// clear, or do neither (temperature, speed, geofence): an alert fires once when readings have
/// violated continuously for <c>For</c>, stays firing through further violations, and resolves
/// once when readings have cleared continuously for <c>ClearFor</c>. A reading that does neither
/// (between the two thresholds: the hysteresis band) breaks a pending run but not a firing alert.
/// </summary>
/// <remarks>
/// <see cref="Run"/> takes the two classes as masks a rule's SIMD kernels made over a whole column
/// and runs only where a class begins or ends, finding the reading that completes a duration by
/// binary search on the (non-decreasing) offsets. <see cref="Step"/> is the same machine for one
/// reading: each rule's reading-by-reading reference calls it, and the tests hold
/// <see cref="Run"/> to it. The two classes must never both hold for one reading.
/// </remarks>
internal sealed class ThresholdMachine
{
    private readonly string _id;
    private readonly Severity _severity;
    private readonly RuleKind _kind;
    private readonly float _threshold;
    private readonly float _clearThreshold;
    private readonly TimeSpan _for;
    private readonly TimeSpan _clearFor;
    private readonly long _forMs;
    private readonly long _clearForMs;
    private readonly Signal _signal;

    /// <param name="id">The rule's id, in every alert it raises.</param>
    /// <param name="severity">The severity of its alerts.</param>
    /// <param name="kind">The kind of rule, in its alerts.</param>
    /// <param name="threshold">Reported in a firing alert (e.g. the temperature it was above).</param>
    /// <param name="clearThreshold">Reported in a resolved alert.</param>
    /// <param name="for">How long readings must violate, without a break, before the alert fires.</param>
    /// <param name="clearFor">How long readings must clear, without a break, before a firing alert resolves.</param>
    /// <param name="signal">What the readings measure, in the alerts' values.</param>
    public ThresholdMachine(string id, Severity severity, RuleKind kind, float threshold, float clearThreshold, TimeSpan @for, TimeSpan clearFor, Signal signal = Signal.Temperature)
    {
        _signal = signal;
        _id = id;
        _severity = severity;
        _kind = kind;
        _threshold = threshold;
        _clearThreshold = clearThreshold;
        _for = @for;
        _clearFor = clearFor;
        _forMs = (long)@for.TotalMilliseconds;
        _clearForMs = (long)clearFor.TotalMilliseconds;
    }

    /// <summary>
    /// Index of the first reading not older than the last one seen. Readings before it (a late,
    /// out-of-order batch) are skipped by <see cref="Run"/>: they cannot change a decision already
    /// made. Also their count.
    /// </summary>
    public static int FirstNotLate(ReadOnlySpan<uint> offsetsMs, long baseTimeMs, ThresholdState state) =>
        FirstAtOrAfter(offsetsMs, baseTimeMs, 0, offsetsMs.Length, state.LastReadingMs);

    /// <summary>
    /// Runs readings [<paramref name="from"/>, n) through the machine, appending every state change
    /// to <paramref name="changes"/>. <paramref name="violating"/> and <paramref name="cleared"/> hold
    /// each reading's class (<see cref="Kernels.ViolationMask"/> layout); <paramref name="values"/>
    /// gives the value an alert reports.
    /// </summary>
    public void Run(uint zone, long baseTimeMs, ReadOnlySpan<uint> offsetsMs, ReadOnlySpan<float> values, int from, ThresholdState state,
        List<AlertChange> changes, ReadOnlySpan<ulong> violating, ReadOnlySpan<ulong> cleared)
    {
        int n = offsetsMs.Length;
        if (from >= n)
        {
            return;
        }

        int i = from;
        while (i < n)
        {
            switch (state.Phase)
            {
                case ThresholdPhase.Normal:
                    i = NextSet(violating, i, n);
                    if (i < n)
                    {
                        state.Phase = ThresholdPhase.Pending;
                        state.PendingSinceMs = baseTimeMs + offsetsMs[i];
                    }

                    break;
                case ThresholdPhase.Pending:
                {
                    int runEnd = NextClear(violating, i, n);
                    int fire = FirstAtOrAfter(offsetsMs, baseTimeMs, i, runEnd, Saturating(state.PendingSinceMs, _forMs));
                    if (fire < runEnd)
                    {
                        Fire(zone, baseTimeMs + offsetsMs[fire], values[fire], state, changes);
                        i = fire + 1;
                    }
                    else
                    {
                        if (runEnd < n)
                        {
                            state.Phase = ThresholdPhase.Normal;
                        }

                        i = runEnd;
                    }

                    break;
                }

                case ThresholdPhase.Firing:
                    i = NextSet(cleared, i, n);
                    if (i < n)
                    {
                        state.Phase = ThresholdPhase.Clearing;
                        state.ClearSinceMs = baseTimeMs + offsetsMs[i];
                    }

                    break;
                case ThresholdPhase.Clearing:
                {
                    int runEnd = NextClear(cleared, i, n);
                    int resolve = FirstAtOrAfter(offsetsMs, baseTimeMs, i, runEnd, Saturating(state.ClearSinceMs, _clearForMs));
                    if (resolve < runEnd)
                    {
                        Resolve(zone, baseTimeMs + offsetsMs[resolve], values[resolve], state, changes);
                        i = resolve + 1;
                    }
                    else
                    {
                        if (runEnd < n)
                        {
                            state.Phase = ThresholdPhase.Firing;
                        }

                        i = runEnd;
                    }

                    break;
                }
            }
        }

        state.LastReadingMs = baseTimeMs + offsetsMs[n - 1];
    }

    /// <summary>
    /// One reading at <paramref name="t"/>, the reference for <see cref="Run"/>. False (and
    /// nothing changed) when the reading is older than the last one seen.
    /// </summary>
    public bool Step(uint zone, long t, float value, bool violating, bool cleared, ThresholdState state, List<AlertChange> changes)
    {
        if (t < state.LastReadingMs)
        {
            return false;
        }

        state.LastReadingMs = t;
        switch (state.Phase)
        {
            case ThresholdPhase.Normal:
                if (violating)
                {
                    state.Phase = ThresholdPhase.Pending;
                    state.PendingSinceMs = t;
                    TryFire(zone, t, value, state, changes);
                }

                break;
            case ThresholdPhase.Pending:
                if (violating)
                {
                    TryFire(zone, t, value, state, changes);
                }
                else
                {
                    state.Phase = ThresholdPhase.Normal;
                }

                break;
            case ThresholdPhase.Firing:
                if (cleared)
                {
                    state.Phase = ThresholdPhase.Clearing;
                    state.ClearSinceMs = t;
                    TryResolve(zone, t, value, state, changes);
                }

                break;
            case ThresholdPhase.Clearing:
                if (cleared)
                {
                    TryResolve(zone, t, value, state, changes);
                }
                else
                {
                    state.Phase = ThresholdPhase.Firing;
                }

                break;
        }

        return true;
    }

    private void TryFire(uint zone, long t, float value, ThresholdState state, List<AlertChange> changes)
    {
        if (t - state.PendingSinceMs >= _forMs)
        {
            Fire(zone, t, value, state, changes);
        }
    }

    private void TryResolve(uint zone, long t, float value, ThresholdState state, List<AlertChange> changes)
    {
        if (t - state.ClearSinceMs >= _clearForMs)
        {
            Resolve(zone, t, value, state, changes);
        }
    }

    private void Fire(uint zone, long t, float value, ThresholdState state, List<AlertChange> changes)
    {
        state.Phase = ThresholdPhase.Firing;
        state.AlertStartMs = state.PendingSinceMs;
        changes.Add(new AlertChange(_id, zone, AlertState.Firing, _severity, state.AlertStartMs, 0, t, value, _threshold, _for, _kind, Signal: _signal));
    }

    private void Resolve(uint zone, long t, float value, ThresholdState state, List<AlertChange> changes)
    {
        state.Phase = ThresholdPhase.Normal;
        changes.Add(new AlertChange(_id, zone, AlertState.Resolved, _severity, state.AlertStartMs, state.ClearSinceMs, t, value, _clearThreshold, _clearFor, _kind, Signal: _signal));
    }

    private static long Saturating(long since, long duration) => since > long.MaxValue - duration ? long.MaxValue : since + duration;

    /// <summary>First index in [from, to) whose time is at or after <paramref name="targetMs"/>, else <paramref name="to"/> (offsets are non-decreasing).</summary>
    internal static int FirstAtOrAfter(ReadOnlySpan<uint> offsetsMs, long baseTimeMs, int from, int to, long targetMs)
    {
        int lo = from, hi = to;
        while (lo < hi)
        {
            int mid = (int)((uint)(lo + hi) >> 1);
            if (baseTimeMs + offsetsMs[mid] >= targetMs)
            {
                hi = mid;
            }
            else
            {
                lo = mid + 1;
            }
        }

        return lo;
    }

    /// <summary>Index of the first set bit at or after <paramref name="from"/>, else <paramref name="n"/>.</summary>
    private static int NextSet(ReadOnlySpan<ulong> mask, int from, int n)
    {
        while (from < n)
        {
            ulong word = mask[from >> 6] >> (from & 63);
            if (word != 0)
            {
                return Math.Min(n, from + BitOperations.TrailingZeroCount(word));
            }

            from = ((from >> 6) + 1) << 6;
        }

        return n;
    }

    /// <summary>Index of the first clear bit at or after <paramref name="from"/>, else <paramref name="n"/>.</summary>
    private static int NextClear(ReadOnlySpan<ulong> mask, int from, int n)
    {
        while (from < n)
        {
            ulong word = ~mask[from >> 6] >> (from & 63);
            if (word != 0)
            {
                return Math.Min(n, from + BitOperations.TrailingZeroCount(word));
            }

            from = ((from >> 6) + 1) << 6;
        }

        return n;
    }
}
