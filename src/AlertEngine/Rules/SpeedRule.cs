using Convoy.Contracts.Alerts.V1;
using Convoy.AlertEngine.Kernels;

namespace Convoy.AlertEngine.Rules;

/// <summary>
/// Evaluates <see cref="SpeedRuleOptions"/> over a batch's <c>gps.speed_kmh</c> column with the
/// shared <see cref="ThresholdMachine"/>, exactly as <see cref="TemperatureRule"/> does a zone:
/// <see cref="Evaluate"/> classifies the column with the SIMD kernels and runs the machine only
/// where a class changes; <see cref="EvaluateEachReading"/> is the reading-by-reading reference.
/// Alerts carry zone 0.
/// </summary>
internal sealed class SpeedRule : IAlertRule
{
    private readonly ThresholdMachine _machine;
    private readonly float _above;
    private readonly float _clear;
    private readonly float _clearExclusive; // v <= clear  <=>  v < BitIncrement(clear), for every float

    public SpeedRule(SpeedRuleOptions options)
    {
        Id = options.Id;
        Severity = options.Severity;
        _above = options.AboveKmh;
        _clear = options.ClearThresholdKmh;
        _clearExclusive = float.BitIncrement(_clear);
        _machine = new ThresholdMachine(options.Id, options.Severity, RuleKind.Speed, _above, _clear, options.For, options.ClearFor);
        Description = new RuleDescription(RuleKinds.Speed, Signals.GpsSpeed, 0, _above, null,
            $"speed above {RuleKinds.Number(_above)} km/h{RuleKinds.For(options.For)}; resolves at or below {RuleKinds.Number(_clear)} km/h{RuleKinds.For(options.ClearFor)}");
    }

    public RuleDescription Description { get; }

    public string Id { get; }

    public Severity Severity { get; }

    /// <summary>As <see cref="TemperatureRule.Evaluate"/>: returns how many readings were late and skipped.</summary>
    public int Evaluate(long baseTimeMs, ReadOnlySpan<uint> offsetsMs, ReadOnlySpan<float> speedsKmh, ThresholdState state,
        List<AlertChange> changes, Span<ulong> above, Span<ulong> cleared)
    {
        int late = ThresholdMachine.FirstNotLate(offsetsMs, baseTimeMs, state);
        if (late == speedsKmh.Length)
        {
            return late;
        }

        VectorKernels.Above(speedsKmh, _above, above);
        VectorKernels.Below(speedsKmh, _clearExclusive, cleared);
        _machine.Run(0, baseTimeMs, offsetsMs, speedsKmh, late, state, changes, above, cleared);
        return late;
    }

    /// <summary>The same decisions, reading by reading: the reference for <see cref="Evaluate"/>.</summary>
    public int EvaluateEachReading(long baseTimeMs, ReadOnlySpan<uint> offsetsMs, ReadOnlySpan<float> speedsKmh, ThresholdState state, List<AlertChange> changes)
    {
        int late = 0;
        for (int i = 0; i < speedsKmh.Length; i++)
        {
            float v = speedsKmh[i];
            if (!_machine.Step(0, baseTimeMs + offsetsMs[i], v, v > _above, v <= _clear, state, changes))
            {
                late++;
            }
        }

        return late;
    }
}
