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
    private FrozenDictionary<string, string[]> _rejected = FrozenDictionary<string, string[]>.Empty;
    private int _generation;

    public RuleCatalog(TenantRules defaults) => Defaults = defaults;

    public TenantRules Defaults { get; }

    /// <summary>The tenants that have a rule file, and how many rules each.</summary>
    public IReadOnlyDictionary<string, TenantRules> Tenants => Volatile.Read(ref _tenants);

    public TenantRules For(string tenant) => Volatile.Read(ref _tenants).TryGetValue(tenant, out var rules) ? rules : Defaults;

    /// <summary>Counts the replacements, so the evaluator can notice a reload without a batch (it resolves removed rules' alerts).</summary>
    public int Generation => Volatile.Read(ref _generation);

    /// <summary>
    /// Why the tenant's rule file, as it is on disk now, does not load (each error names the file,
    /// rule and field); empty when it loads or the tenant has none. While it has errors the tenant
    /// keeps the rules it had before.
    /// </summary>
    public IReadOnlyList<string> Errors(string tenant) => Volatile.Read(ref _rejected).TryGetValue(tenant, out var errors) ? errors : [];

    /// <summary>The tenants whose rule file on disk does not load now, with their errors.</summary>
    public IReadOnlyDictionary<string, string[]> Rejected => Volatile.Read(ref _rejected);

    public void Replace(IReadOnlyDictionary<string, TenantRules> tenants)
    {
        Volatile.Write(ref _tenants, tenants.ToFrozenDictionary(StringComparer.Ordinal));
        Interlocked.Increment(ref _generation);
    }

    /// <summary>Records the errors of the rule files that did not load (tenant → errors), replacing the previous ones.</summary>
    public void Reject(IReadOnlyDictionary<string, string[]> rejected) =>
        Volatile.Write(ref _rejected, rejected.ToFrozenDictionary(StringComparer.Ordinal));
}
