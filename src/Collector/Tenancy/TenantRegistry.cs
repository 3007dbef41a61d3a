using System.Collections.Concurrent;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Convoy.Collector.Tenancy;

/// <summary>
/// Decides whether a tenant may send and hands out its <see cref="TenantGate"/>. Follows the
/// registry file: a change takes effect for the next stream (a refused or disabled tenant's open
/// streams end at their next batch); a file that fails validation is ignored, keeping the last good one.
/// </summary>
internal sealed class TenantRegistry : IDisposable
{
    private readonly ConcurrentDictionary<string, TenantGate> _gates = new(StringComparer.Ordinal);
    private readonly ILogger<TenantRegistry> _logger;
    private readonly TimeProvider _time;
    private readonly IDisposable? _subscription;
    private TenantRegistryOptions _current;

    public TenantRegistry(IOptionsMonitor<TenantRegistryOptions> options, TimeProvider time, ILogger<TenantRegistry> logger)
    {
        _logger = logger;
        _time = time;
        _current = options.CurrentValue;
        _current.Validate();
        _subscription = options.OnChange(Reload);
    }

    /// <summary>The tenant's gate, or why it may not send (PERMISSION_DENIED, and a short reason for metrics).</summary>
    public TenantGate? Admit(string tenant, out Status refusal, out string reason)
    {
        var registry = Volatile.Read(ref _current);
        refusal = default;
        reason = string.Empty;
        TenantQuota quota;
        if (registry.Tenants.TryGetValue(tenant, out var entry))
        {
            if (!entry.Enabled)
            {
                refusal = new Status(StatusCode.PermissionDenied, $"tenant {tenant} is disabled on this platform; ask the platform operator");
                reason = RefusalReasons.TenantDisabled;
                return null;
            }

            quota = entry.Quota ?? registry.Default;
        }
        else if (registry.Open)
        {
            quota = registry.Default;
        }
        else
        {
            refusal = new Status(StatusCode.PermissionDenied, $"tenant {tenant} is not registered on this platform; ask the platform operator");
            reason = RefusalReasons.TenantNotRegistered;
            return null;
        }

        var gate = _gates.GetOrAdd(tenant, static (id, state) => new TenantGate(id, state.quota, state._time), (quota, _time));
        if (!ReferenceEquals(gate.Quota, quota))
        {
            // The quota changed with the file: a fresh gate from now on.
            var fresh = new TenantGate(tenant, quota, _time);
            gate = _gates.AddOrUpdate(tenant, fresh, (_, _) => fresh);
        }

        return gate;
    }

    /// <summary>The tenant's topic settings from the registry, null when it has none.</summary>
    public TenantTopic? TopicOf(string tenant) =>
        Volatile.Read(ref _current).Tenants.TryGetValue(tenant, out var entry) ? entry.Topic : null;

    private void Reload(TenantRegistryOptions options)
    {
        try
        {
            options.Validate();
            Volatile.Write(ref _current, options);
            CollectorLog.TenantRegistryReloaded(_logger, options.Tenants.Count);
        }
        catch (OptionsValidationException e)
        {
            CollectorLog.TenantRegistryRejected(_logger, e.Message);
        }
    }

    public void Dispose()
    {
        _subscription?.Dispose();
        foreach (var gate in _gates.Values)
        {
            gate.Dispose();
        }
    }
}
