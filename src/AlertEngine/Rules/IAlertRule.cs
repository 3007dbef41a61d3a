using Convoy.Contracts.Alerts.V1;

namespace Convoy.AlertEngine.Rules;

/// <summary>What every rule kind has: the id its alerts carry, and their severity.</summary>
internal interface IAlertRule
{
    string Id { get; }

    Severity Severity { get; }

    /// <summary>The rule in words, made once when it was built: what GetRules reports.</summary>
    RuleDescription Description { get; }
}
