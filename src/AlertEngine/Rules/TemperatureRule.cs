using Convoy.Contracts.Alerts.V1;
using Google.Protobuf.Collections;

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
internal sealed class TemperatureRule
{
    private readonly TemperatureRuleOptions _options;
    private readonly long _forMs;
    private readonly long _clearForMs;
    private readonly float _clear;

    public TemperatureRule(TemperatureRuleOptions options)
    {
        _options = options;
        _forMs = (long)options.For.TotalMilliseconds;
        _clearForMs = (long)options.ClearFor.TotalMilliseconds;
        _clear = options.ClearThresholdC;
    }

    public string Id => _options.Id;

    public bool Watches(uint zone) => _options.Zone == 0 || _options.Zone == zone;

    /// <summary>
    /// Runs the readings through the state machine, appending every state change to
    /// <paramref name="changes"/>. Readings older than the last one seen (a late, out-of-order
    /// batch) are skipped: they cannot change a decision already made. Returns how many were skipped.
    /// </summary>
    public int Evaluate(uint zone, long baseTimeMs, RepeatedField<uint> offsetsMs, RepeatedField<float> temperaturesC, ThresholdState state, List<AlertChange> changes)
    {
        float above = _options.AboveC;
        int late = 0;
        for (int i = 0; i < offsetsMs.Count; i++)
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
                    if (v > above)
                    {
                        state.Phase = ThresholdPhase.Pending;
                        state.PendingSinceMs = t;
                        TryFire(zone, t, v, state, changes);
                    }

                    break;
                case ThresholdPhase.Pending:
                    if (v > above)
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
                    if (v > _clear)
                    {
                        state.Phase = ThresholdPhase.Firing;
                    }
                    else
                    {
                        TryResolve(zone, t, v, state, changes);
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
        changes.Add(new AlertChange(_options.Id, zone, AlertState.Firing, _options.Severity, state.AlertStartMs, 0, t, v, _options.AboveC, _options.For));
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
}
