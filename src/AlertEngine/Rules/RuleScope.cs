namespace Convoy.AlertEngine.Rules;

/// <summary>
/// Which of a tenant's devices a rule applies to: every device when the rule names neither
/// devices nor tags; otherwise a device the rule names by id, or a device that the rule file's
/// <c>devices:</c> map gives at least one of the rule's tags.
/// </summary>
internal sealed class RuleScope
{
    public static readonly RuleScope Everyone = new([], []);

    private readonly HashSet<string> _devices;
    private readonly HashSet<string> _tags;

    public RuleScope(IEnumerable<string> devices, IEnumerable<string> tags)
    {
        _devices = new HashSet<string>(devices, StringComparer.Ordinal);
        _tags = new HashSet<string>(tags, StringComparer.Ordinal);
    }

    /// <summary>The devices it names, in order (for reports, not for the hot path).</summary>
    public IReadOnlyList<string> Devices => [.. _devices.Order(StringComparer.Ordinal)];

    /// <summary>The tags it names, in order.</summary>
    public IReadOnlyList<string> Tags => [.. _tags.Order(StringComparer.Ordinal)];

    public bool IsEveryone => _devices.Count == 0 && _tags.Count == 0;

    public bool Applies(string device, IReadOnlyList<string> deviceTags)
    {
        if (IsEveryone || _devices.Contains(device))
        {
            return true;
        }

        foreach (string tag in deviceTags)
        {
            if (_tags.Contains(tag))
            {
                return true;
            }
        }

        return false;
    }
}
