using Convoy.AlertEngine.Kernels;
using Convoy.Contracts.Alerts.V1;

namespace Convoy.AlertEngine.Rules;

/// <summary>
/// A rule file's <c>rateOfChange</c> rule: "the temperature rises faster than X per minute",
/// measured between consecutive readings of a column (the first reading of a batch against the
/// last one evaluated before it). Fires once the rise has been faster than X for the duration
/// (0: at the first such pair); resolves once it has been no faster than the clear rate for the
/// clear duration; pairs in between are the hysteresis band, and pairs without a rate (NaN, two
/// readings at the same time) are neither. The SIMD rate kernel classifies every pair at once, the
/// shared <see cref="ThresholdMachine"/> runs only where a class changes; the pair across the batch
/// boundary is classified in scalar. <see cref="EvaluateEachReading"/> is the reference.
/// </summary>
internal sealed class RateRule : IAlertRule
{
    private readonly ThresholdMachine _machine;
    private readonly float _perMinute;
    private readonly float _clearPerMinute;
    private readonly uint _zone;

    public RateRule(string id, Severity severity, Signal signal, uint zone, float risePerMinute, float clearRisePerMinute, TimeSpan @for, TimeSpan clearFor)
    {
        Id = id;
        Severity = severity;
        Signal = signal;
        _zone = zone;
        _perMinute = risePerMinute;
        _clearPerMinute = clearRisePerMinute;
        _machine = new ThresholdMachine(id, severity, RuleKind.RateOfChange, risePerMinute, clearRisePerMinute, @for, clearFor, signal);
        string unit = Signals.Unit(signal);
        Description = new RuleDescription(RuleKinds.Rate, Signals.Column(signal), zone, risePerMinute, null,
            $"{Signals.Named(signal, zone)} rises faster than {RuleKinds.Number(risePerMinute)} {unit} per minute{RuleKinds.For(@for)}; "
            + $"resolves at {RuleKinds.Number(clearRisePerMinute)} {unit} per minute or slower{RuleKinds.For(clearFor)}");
    }

    public RuleDescription Description { get; }

    public string Id { get; }

    public Severity Severity { get; }

    public Signal Signal { get; }

    public bool Watches(uint zone) => _zone == 0 || _zone == zone;

    /// <summary>As <see cref="TemperatureRule.Evaluate"/>: returns how many readings were late and skipped. Alerts report the rate per minute of the deciding pair.</summary>
    public int Evaluate(uint zone, long baseTimeMs, ReadOnlySpan<uint> offsetsMs, ReadOnlySpan<float> values, ThresholdState state,
        List<AlertChange> changes, Span<ulong> rising, Span<ulong> cleared, Span<float> rates)
    {
        int n = values.Length;
        int late = ThresholdMachine.FirstNotLate(offsetsMs, baseTimeMs, state);
        if (late == n)
        {
            return late;
        }

        VectorKernels.RiseAbove(offsetsMs, values, _perMinute, rising);
        VectorKernels.RiseAtOrBelow(offsetsMs, values, _clearPerMinute, cleared);

        // The first reading evaluated pairs with the last one evaluated before it, not with its
        // neighbour in the column (which, if late, was skipped).
        long t0 = baseTimeMs + offsetsMs[late];
        (bool r, bool c) = Classify(state, t0, values[late]);
        Assign(rising, late, r);
        Assign(cleared, late, c);

        // The value an alert reports: the deciding pair's rate per minute (only read where the machine fires or resolves).
        rates[late] = Rate(state.LastReadingMs, state.LastValue, t0, values[late]);
        for (int i = late + 1; i < n; i++)
        {
            rates[i] = Rate(offsetsMs[i - 1], values[i - 1], offsetsMs[i], values[i]);
        }

        _machine.Run(zone, baseTimeMs, offsetsMs, rates[..n], late, state, changes, rising, cleared);
        state.LastValue = values[n - 1];
        return late;
    }

    /// <summary>The same decisions, reading by reading: the reference for <see cref="Evaluate"/>.</summary>
    public int EvaluateEachReading(uint zone, long baseTimeMs, ReadOnlySpan<uint> offsetsMs, ReadOnlySpan<float> values, ThresholdState state, List<AlertChange> changes)
    {
        int late = 0;
        for (int i = 0; i < values.Length; i++)
        {
            long t = baseTimeMs + offsetsMs[i];
            if (t < state.LastReadingMs)
            {
                late++;
                continue;
            }

            bool rising, cleared;
            float rate;
            if (i > late) // the previous reading in the column was evaluated (late readings are a prefix: offsets never decrease)
            {
                float dv = values[i] - values[i - 1];
                float dtMs = (int)(offsetsMs[i] - offsetsMs[i - 1]);
                rising = RiseAboveOp.Matches(dv, dtMs, _perMinute);
                cleared = RiseAtOrBelowOp.Matches(dv, dtMs, _clearPerMinute);
                rate = Rate(offsetsMs[i - 1], values[i - 1], offsetsMs[i], values[i]);
            }
            else
            {
                (rising, cleared) = Classify(state, t, values[i]);
                rate = Rate(state.LastReadingMs, state.LastValue, t, values[i]);
            }

            _machine.Step(zone, t, rate, rising, cleared, state, changes);
            state.LastValue = values[i];
        }

        return late;
    }

    /// <summary>The pair (last reading evaluated, this one), in scalar with the ops' own arithmetic; none when there is no earlier reading.</summary>
    private (bool Rising, bool Cleared) Classify(ThresholdState state, long t, float value)
    {
        if (state.LastReadingMs == long.MinValue)
        {
            return (false, false);
        }

        long gap = t - state.LastReadingMs;
        float dtMs = gap > int.MaxValue ? -1f : gap;
        float dv = value - state.LastValue;
        return (RiseAboveOp.Matches(dv, dtMs, _perMinute), RiseAtOrBelowOp.Matches(dv, dtMs, _clearPerMinute));
    }

    private static float Rate(long fromMs, float from, long toMs, float to) =>
        toMs > fromMs && fromMs != long.MinValue ? (to - from) / (toMs - fromMs) * RiseAboveOp.MsPerMinute : float.NaN;

    private static void Assign(Span<ulong> mask, int i, bool value)
    {
        if (value)
        {
            mask[i >> 6] |= 1UL << (i & 63);
        }
        else
        {
            mask[i >> 6] &= ~(1UL << (i & 63));
        }
    }
}
