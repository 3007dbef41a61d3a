using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Convoy.AlertEngine.Rules.Files;

/// <summary>
/// <c>rules</c> on <c>/readyz</c>: the engine's rules are loaded (the defaults and the rules folder
/// were read at start, and an invalid file there stops the start). A file that became invalid later
/// leaves its tenant on the rules it had, so the engine stays ready; the check then reports
/// Degraded (still HTTP 200) with the files' errors, so an operator sees them from the probe.
/// </summary>
internal sealed class RulesReadinessCheck(RuleCatalog catalog) : IHealthCheck
{
    public const string Name = "rules";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var rejected = catalog.Rejected;
        if (rejected.Count == 0)
        {
            return Task.FromResult(HealthCheckResult.Healthy($"{catalog.Tenants.Count} tenant rule file(s) loaded"));
        }

        string errors = string.Join("; ", rejected.OrderBy(static r => r.Key, StringComparer.Ordinal).SelectMany(static r => r.Value));
        return Task.FromResult(HealthCheckResult.Degraded(
            $"{rejected.Count} tenant rule file(s) do not load and keep their previous rules: {errors}"));
    }
}
