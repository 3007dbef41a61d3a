using Convoy.AlertEngine.Kernels;
using Convoy.Contracts.Alerts.V1;

namespace Convoy.AlertEngine.Rules;

/// <summary>How a <see cref="LevelRule"/> reads its bounds.</summary>
internal enum LevelMode
{
    /// <summary>Violates above <c>Upper</c>; cleared at or below <c>ClearUpper</c>.</summary>
    Above,

    /// <summary>Violates below <c>Lower</c>; cleared at or above <c>ClearLower</c>.</summary>
    Below,

    /// <summary>Violates outside [<c>Lower</c>, <c>Upper</c>]; cleared inside [<c>ClearLower</c>, <c>ClearUpper</c>] (the range narrowed by the hysteresis).</summary>
    Outside,
}

/// <summary>
/// A rule file's <c>threshold</c> (above or below) and <c>range</c> rules over any float
/// <see cref="Signal"/>, with the shared <see cref="ThresholdMachine"/>: the SIMD kernels classify
/// the column into violating and cleared, the machine runs only where a class changes. Readings
/// between the two classes are the hysteresis band. <see cref="EvaluateEachReading"/> is the
/// reading-by-reading reference.
/// </summary>
internal sealed class LevelRule : IAlertRule
{
    private readonly ThresholdMachine _machine;
    private readonly LevelMode _mode;
    private readonly float _lower, _upper, _clearLower, _clearUpper;
    private readonly uint _zone;

    public LevelRule(string id, Severity severity, Signal signal, uint zone, LevelMode mode, float lower, float upper, float clearLower, float clearUpper, TimeSpan @for, TimeSpan clearFor)
    {
        Id = id;
        Severity = severity;
        Signal = signal;
        _zone = zone;
        _mode = mode;
        (_lower, _upper, _clearLower, _clearUpper) = (lower, upper, clearLower, clearUpper);
        var kind = mode switch
        {
            LevelMode.Above => RuleKind.Threshold,
            LevelMode.Below => RuleKind.ThresholdBelow,
            _ => RuleKind.Range,
        };
        (float reported, float clearReported) = mode switch
        {
            LevelMode.Above => (upper, clearUpper),
            LevelMode.Below => (lower, clearLower),
            _ => (float.NaN, float.NaN),
        };
        _machine = new ThresholdMachine(id, severity, kind, reported, clearReported, @for, clearFor, signal);
        Mode = mode;
        Range = (lower, upper);
        string name = Signals.Named(signal, zone), unit = Signals.Unit(signal);
        string clearing = RuleKinds.For(clearFor);
        Description = mode switch
        {
            LevelMode.Above => new RuleDescription(RuleKinds.Level, Signals.Column(signal), zone, upper, null,
                $"{name} above {RuleKinds.Number(upper)} {unit}{RuleKinds.For(@for)}; resolves at or below {RuleKinds.Number(clearUpper)} {unit}{clearing}"),
            LevelMode.Below => new RuleDescription(RuleKinds.Level, Signals.Column(signal), zone, null, lower,
                $"{name} below {RuleKinds.Number(lower)} {unit}{RuleKinds.For(@for)}; resolves at or above {RuleKinds.Number(clearLower)} {unit}{clearing}"),
            _ => new RuleDescription(RuleKinds.Level, Signals.Column(signal), zone, upper, lower,
                $"{name} outside {RuleKinds.Number(lower)}..{RuleKinds.Number(upper)} {unit}{RuleKinds.For(@for)}; "
                + $"resolves inside {RuleKinds.Number(clearLower)}..{RuleKinds.Number(clearUpper)} {unit}{clearing}"),
        };
    }

    public RuleDescription Description { get; }

    public string Id { get; }

    public Severity Severity { get; }

    public Signal Signal { get; }

    public LevelMode Mode { get; }

    public (float Min, float Max) Range { get; }

    /// <summary>Temperature zone 1..8, or 0 for every zone; other signals have no zones.</summary>
    public bool Watches(uint zone) => _zone == 0 || _zone == zone;

    /// <summary>As <see cref="TemperatureRule.Evaluate"/>; <paramref name="scratch"/> is a third mask for the range's two-sided clear test.</summary>
    public int Evaluate(uint zone, long baseTimeMs, ReadOnlySpan<uint> offsetsMs, ReadOnlySpan<float> values, ThresholdState state,
        List<AlertChange> changes, Span<ulong> violating, Span<ulong> cleared, Span<ulong> scratch)
    {
        int late = ThresholdMachine.FirstNotLate(offsetsMs, baseTimeMs, state);
        if (late == values.Length)
        {
            return late;
        }

        // v <= c  <=>  v < BitIncrement(c) and v >= c  <=>  v > BitDecrement(c), for every float c.
        switch (_mode)
        {
            case LevelMode.Above:
                VectorKernels.Above(values, _upper, violating);
                VectorKernels.Below(values, float.BitIncrement(_clearUpper), cleared);
                break;
            case LevelMode.Below:
                VectorKernels.Below(values, _lower, violating);
                VectorKernels.Above(values, float.BitDecrement(_clearLower), cleared);
                break;
            default:
                VectorKernels.Outside(values, _lower, _upper, violating);
                VectorKernels.Above(values, float.BitDecrement(_clearLower), cleared);
                VectorKernels.Below(values, float.BitIncrement(_clearUpper), scratch);
                int words = ViolationMask.WordsFor(values.Length);
                for (int w = 0; w < words; w++)
                {
                    cleared[w] &= scratch[w];
                }

                break;
        }

        _machine.Run(zone, baseTimeMs, offsetsMs, values, late, state, changes, violating, cleared);
        return late;
    }

    /// <summary>The same decisions, reading by reading: the reference for <see cref="Evaluate"/>.</summary>
    public int EvaluateEachReading(uint zone, long baseTimeMs, ReadOnlySpan<uint> offsetsMs, ReadOnlySpan<float> values, ThresholdState state, List<AlertChange> changes)
    {
        int late = 0;
        for (int i = 0; i < values.Length; i++)
        {
            float v = values[i];
            (bool violating, bool cleared) = _mode switch
            {
                LevelMode.Above => (v > _upper, v <= _clearUpper),
                LevelMode.Below => (v < _lower, v >= _clearLower),
                _ => (v < _lower || v > _upper, v >= _clearLower && v <= _clearUpper),
            };
            if (!_machine.Step(zone, baseTimeMs + offsetsMs[i], v, violating, cleared, state, changes))
            {
                late++;
            }
        }

        return late;
    }
}
