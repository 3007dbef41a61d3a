using System.Collections.Frozen;

namespace Convoy.AlertEngine.Rules;

/// <summary>
/// Every tenant's current rules: a tenant's rule file when it has one, else the options-configured
/// default rules. Read by the consumer thread on every batch, replaced (whole, atomically) by the
/// rules folder's reloads on another thread.
/// </summary>
internal sealed class RuleCatalog
{
    private FrozenDictionary<string, TenantRules> _tenants = FrozenDictionary<string, TenantRules>.Empty;
    private int _generation;

    public RuleCatalog(TenantRules defaults) => Defaults = defaults;

    public TenantRules Defaults { get; }

    /// <summary>The tenants that have a rule file, and how many rules each.</summary>
    public IReadOnlyDictionary<string, TenantRules> Tenants => Volatile.Read(ref _tenants);

    public TenantRules For(string tenant) => Volatile.Read(ref _tenants).TryGetValue(tenant, out var rules) ? rules : Defaults;

    /// <summary>Counts the replacements, so the evaluator can notice a reload without a batch (it resolves removed rules' alerts).</summary>
    public int Generation => Volatile.Read(ref _generation);

    public void Replace(IReadOnlyDictionary<string, TenantRules> tenants)
    {
        Volatile.Write(ref _tenants, tenants.ToFrozenDictionary(StringComparer.Ordinal));
        Interlocked.Increment(ref _generation);
    }
}
