using Convoy.Contracts.Alerts.V1;
using Convoy.AlertEngine.Kernels;

namespace Convoy.AlertEngine.Rules;

/// <summary>
/// Evaluates <see cref="TemperatureRuleOptions"/> over one zone's column in event time, with the
/// shared <see cref="ThresholdMachine"/>: fires once when the zone has been above the threshold
/// for the duration, stays firing, resolves once when it has been at or below the clear threshold
/// for the clear duration.
/// </summary>
/// <remarks>
/// <see cref="Evaluate"/> classifies the whole column with the SIMD kernels (above the firing
/// threshold; at or below the clear threshold) and runs the machine only where a class begins or
/// ends. <see cref="EvaluateEachReading"/> compares each reading in scalar and steps the machine
/// reading by reading: the reference the tests hold it to.
/// </remarks>
internal sealed class TemperatureRule : IAlertRule
{
    private readonly TemperatureRuleOptions _options;
    private readonly ThresholdMachine _machine;
    private readonly float _above;
    private readonly float _clear;
    private readonly float _clearExclusive; // v <= clear  <=>  v < BitIncrement(clear), for every float

    public TemperatureRule(TemperatureRuleOptions options)
    {
        _options = options;
        _above = options.AboveC;
        _clear = options.ClearThresholdC;
        _clearExclusive = float.BitIncrement(_clear);
        _machine = new ThresholdMachine(options.Id, options.Severity, RuleKind.Temperature, _above, _clear, options.For, options.ClearFor);
        string zone = Signals.Named(Signal.Temperature, options.Zone);
        Description = new RuleDescription(RuleKinds.Temperature, Signals.Column(Signal.Temperature), options.Zone, _above, null,
            $"{zone} above {RuleKinds.Number(_above)} degC{RuleKinds.For(options.For)}; resolves at or below {RuleKinds.Number(_clear)} degC{RuleKinds.For(options.ClearFor)}");
    }

    public RuleDescription Description { get; }

    public string Id => _options.Id;

    public Severity Severity => _options.Severity;

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
        int late = ThresholdMachine.FirstNotLate(offsetsMs, baseTimeMs, state);
        if (late == temperaturesC.Length)
        {
            return late;
        }

        VectorKernels.Above(temperaturesC, _above, above);
        VectorKernels.Below(temperaturesC, _clearExclusive, cleared);
        _machine.Run(zone, baseTimeMs, offsetsMs, temperaturesC, late, state, changes, above, cleared);
        return late;
    }

    /// <summary>The same decisions, reading by reading: the reference for <see cref="Evaluate"/>.</summary>
    public int EvaluateEachReading(uint zone, long baseTimeMs, ReadOnlySpan<uint> offsetsMs, ReadOnlySpan<float> temperaturesC, ThresholdState state, List<AlertChange> changes)
    {
        int late = 0;
        for (int i = 0; i < temperaturesC.Length; i++)
        {
            float v = temperaturesC[i];
            if (!_machine.Step(zone, baseTimeMs + offsetsMs[i], v, v > _above, v <= _clear, state, changes))
            {
                late++;
            }
        }

        return late;
    }
}
