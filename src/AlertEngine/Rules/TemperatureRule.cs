using System.Numerics;
using Convoy.AlertEngine.Kernels;
using Convoy.Contracts.Alerts.V1;

namespace Convoy.AlertEngine.Rules;

/// <summary>A change of an alert's state that a rule decided, before it becomes an <see cref="Alert"/>.</summary>
internal readonly record struct AlertChange(
    string RuleId, uint Zone, AlertState State, Severity Severity, long StartMs, long EndMs, long AtMs, float Value, float ThresholdC, TimeSpan For);

/// <summary>Where one (device, rule, zone) is in its lifecycle. Survives between batches.</summary>
internal sealed class ThresholdState
{
    public ThresholdPhase Phase;
    public long PendingSinceMs;  // first reading above the threshold (Pending)
    public long AlertStartMs;    // start of the firing alert (Firing, Clearing)
    public long ClearSinceMs;    // first reading at or below the clear threshold (Clearing)
    public long LastReadingMs = long.MinValue;

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
/// Evaluates <see cref="TemperatureRuleOptions"/> over one zone's column in event time. An alert
/// fires once when the condition has held for the duration, stays firing through further
/// violations, and resolves once when the clear condition has held for the clear duration.
/// </summary>
/// <remarks>
/// <see cref="Evaluate"/> classifies the whole column with the SIMD kernels (above the firing
/// threshold; at or below the clear threshold) and runs the state machine only where a class
/// begins or ends, finding the reading that completes a duration by binary search on the
/// (non-decreasing) offsets. <see cref="EvaluateEachReading"/> is the same machine reading by
/// reading: the reference the tests hold it to.
/// </remarks>
internal sealed class TemperatureRule
{
    private readonly TemperatureRuleOptions _options;
    private readonly long _forMs;
    private readonly long _clearForMs;
    private readonly float _above;
    private readonly float _clear;
    private readonly float _clearExclusive; // v <= clear  <=>  v < BitIncrement(clear), for every float

    public TemperatureRule(TemperatureRuleOptions options)
    {
        _options = options;
        _forMs = (long)options.For.TotalMilliseconds;
        _clearForMs = (long)options.ClearFor.TotalMilliseconds;
        _above = options.AboveC;
        _clear = options.ClearThresholdC;
        _clearExclusive = float.BitIncrement(_clear);
    }

    public string Id => _options.Id;

    public bool Watches(uint zone) => _options.Zone == 0 || _options.Zone == zone;

    /// <summary>
    /// Runs the readings through the state machine, appending every state change to
    /// <paramref name="changes"/>. Readings older than the last one seen (a late, out-of-order
    /// batch) are skipped: they cannot change a decision already made. Returns how many were
    /// skipped. <paramref name="above"/> and <paramref name="cleared"/> are scratch masks of at
    /// least <see cref="ViolationMask.WordsFor"/>(n) words.
    /// </summary>
    public int Evaluate(uint zone, long baseTimeMs, ReadOnlySpan<uint> offsetsMs, ReadOnlySpan<float> temperaturesC, ThresholdState state,
        List<AlertChange> changes, Span<ulong> above, Span<ulong> cleared)
    {
        int n = temperaturesC.Length;
        int late = FirstAtOrAfter(offsetsMs, baseTimeMs, 0, n, state.LastReadingMs);
        if (late == n)
        {
            return late;
        }

        VectorKernels.Above(temperaturesC, _above, above);
        VectorKernels.Below(temperaturesC, _clearExclusive, cleared);
        int i = late;
        while (i < n)
        {
            switch (state.Phase)
            {
                case ThresholdPhase.Normal:
                    i = NextSet(above, i, n);
                    if (i < n)
                    {
                        state.Phase = ThresholdPhase.Pending;
                        state.PendingSinceMs = baseTimeMs + offsetsMs[i];
                    }

                    break;
                case ThresholdPhase.Pending:
                {
                    int runEnd = NextClear(above, i, n);
                    int fire = FirstAtOrAfter(offsetsMs, baseTimeMs, i, runEnd, Saturating(state.PendingSinceMs, _forMs));
                    if (fire < runEnd)
                    {
                        state.Phase = ThresholdPhase.Firing;
                        state.AlertStartMs = state.PendingSinceMs;
                        long t = baseTimeMs + offsetsMs[fire];
                        changes.Add(new AlertChange(_options.Id, zone, AlertState.Firing, _options.Severity, state.AlertStartMs, 0, t, temperaturesC[fire], _above, _options.For));
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
                        state.Phase = ThresholdPhase.Normal;
                        long t = baseTimeMs + offsetsMs[resolve];
                        changes.Add(new AlertChange(_options.Id, zone, AlertState.Resolved, _options.Severity, state.AlertStartMs, state.ClearSinceMs, t, temperaturesC[resolve], _clear, _options.ClearFor));
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
        return late;
    }

    /// <summary>The same state machine, reading by reading: the reference for <see cref="Evaluate"/>.</summary>
    public int EvaluateEachReading(uint zone, long baseTimeMs, ReadOnlySpan<uint> offsetsMs, ReadOnlySpan<float> temperaturesC, ThresholdState state, List<AlertChange> changes)
    {
        int late = 0;
        for (int i = 0; i < temperaturesC.Length; i++)
        {
            long t = baseTimeMs + offsetsMs[i];
            if (t < state.LastReadingMs)
            {
                late++;
                continue;
            }

            state.LastReadingMs = t;
            float v = temperaturesC[i];
            switch (state.Phase)
            {
                case ThresholdPhase.Normal:
                    if (v > _above)
                    {
                        state.Phase = ThresholdPhase.Pending;
                        state.PendingSinceMs = t;
                        TryFire(zone, t, v, state, changes);
                    }

                    break;
                case ThresholdPhase.Pending:
                    if (v > _above)
                    {
                        TryFire(zone, t, v, state, changes);
                    }
                    else
                    {
                        state.Phase = ThresholdPhase.Normal;
                    }

                    break;
                case ThresholdPhase.Firing:
                    if (v <= _clear)
                    {
                        state.Phase = ThresholdPhase.Clearing;
                        state.ClearSinceMs = t;
                        TryResolve(zone, t, v, state, changes);
                    }

                    break;
                case ThresholdPhase.Clearing:
                    if (v <= _clear)
                    {
                        TryResolve(zone, t, v, state, changes);
                    }
                    else
                    {
                        state.Phase = ThresholdPhase.Firing;
                    }

                    break;
            }
        }

        return late;
    }

    private void TryFire(uint zone, long t, float v, ThresholdState state, List<AlertChange> changes)
    {
        if (t - state.PendingSinceMs < _forMs)
        {
            return;
        }

        state.Phase = ThresholdPhase.Firing;
        state.AlertStartMs = state.PendingSinceMs;
        changes.Add(new AlertChange(_options.Id, zone, AlertState.Firing, _options.Severity, state.AlertStartMs, 0, t, v, _above, _options.For));
    }

    private void TryResolve(uint zone, long t, float v, ThresholdState state, List<AlertChange> changes)
    {
        if (t - state.ClearSinceMs < _clearForMs)
        {
            return;
        }

        state.Phase = ThresholdPhase.Normal;
        changes.Add(new AlertChange(_options.Id, zone, AlertState.Resolved, _options.Severity, state.AlertStartMs, state.ClearSinceMs, t, v, _clear, _options.ClearFor));
    }

    private static long Saturating(long since, long duration) => since > long.MaxValue - duration ? long.MaxValue : since + duration;

    /// <summary>First index in [from, to) whose time is at or after <paramref name="targetMs"/>, else <paramref name="to"/> (offsets are non-decreasing).</summary>
    private static int FirstAtOrAfter(ReadOnlySpan<uint> offsetsMs, long baseTimeMs, int from, int to, long targetMs)
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
