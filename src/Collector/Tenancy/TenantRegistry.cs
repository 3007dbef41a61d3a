using System.Collections.Concurrent;
using Convoy.Tenancy;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace Convoy.Collector.Tenancy;

/// <summary>
/// Decides whether a tenant may send and hands out its <see cref="TenantGate"/>. Follows the
/// registry file (<c>Collector:TenantsFile</c>, through the shared <see cref="TenantRegistryFile"/>): a
/// change takes effect for the next stream (a refused or disabled tenant's open streams end at
/// their next batch); a file that fails validation is ignored, keeping the last good one. Without
/// a file the registry is open, every tenant with the default quota.
/// </summary>
internal sealed class TenantRegistry : IDisposable
{
    private static readonly TenantRegistryOptions OpenToAll = new() { Open = true };
    private readonly ConcurrentDictionary<string, TenantGate> _gates = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly TenantRegistryFile? _file;

    /// <summary>Reads the file now: one that cannot be read or does not validate stops the start-up, naming it.</summary>
    public TenantRegistry(IOptions<CollectorOptions> options, TimeProvider time, ILogger<TenantRegistry> logger)
    {
        _time = time;
        if (options.Value.TenantsFile is not { } path)
        {
            return;
        }

        _file = new TenantRegistryFile("Collector:TenantsFile", path, time, logger, registry => Reloaded?.Invoke(registry));
    }

    /// <summary>Raised with the registry read from the changed file once it is in use (not for the one read at start: see <see cref="Current"/>).</summary>
    public event Action<TenantRegistryOptions>? Reloaded;

    /// <summary>The registry in use now (read again first when the file changed).</summary>
    public TenantRegistryOptions Current => _file?.Current ?? OpenToAll;

    /// <summary>The tenant's gate, or why it may not send (PERMISSION_DENIED, and a short reason for metrics).</summary>
    public TenantGate? Admit(string tenant, out Status refusal, out string reason)
    {
        var registry = Current;
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
        Current.Tenants.TryGetValue(tenant, out var entry) ? entry.Topic : null;

    public void Dispose()
    {
        foreach (var gate in _gates.Values)
        {
            gate.Dispose();
        }
    }
}
