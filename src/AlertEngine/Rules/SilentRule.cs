using Convoy.Contracts.Alerts.V1;

namespace Convoy.AlertEngine.Rules;

/// <summary>
/// A rule file's <c>silent</c> rule: "no data from the device for <see cref="After"/>". It fires on
/// the absence of data, so no reading can decide it: the engine's clock (a
/// <see cref="TimeProvider"/>) does, counting from when the engine last received a batch of the
/// device. It fires once, and resolves once at the next batch of the device. Its start time is the
/// device's newest reading (event time), so the alert's id is the same wherever it is computed from
/// the same data.
/// </summary>
internal sealed class SilentRule(string id, Severity severity, TimeSpan after) : IAlertRule
{
    public string Id { get; } = id;

    public Severity Severity { get; } = severity;

    public TimeSpan After { get; } = after;

    public RuleDescription Description { get; } =
        new(RuleKinds.Silent, "", 0, null, null, $"no data for {RuleKinds.Duration(after)}; resolves when data comes again");
}

/// <summary>Where one (device, silent rule) is.</summary>
internal sealed class SilentState
{
    public bool Firing;
    public long AlertStartMs;
    public long SilentSinceMs; // engine clock: when its last batch arrived
    public bool Scheduled; // has an entry in the evaluator's deadline queue
}
