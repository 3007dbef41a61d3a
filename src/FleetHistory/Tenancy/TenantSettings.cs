using Convoy.FleetHistory.Store;
using Convoy.Tenancy;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace Convoy.FleetHistory.Tenancy;

/// <summary>
/// Each tenant's settings as the read side applies them: the tenant registry
/// (<c>FleetHistory:TenantsFile</c>, the same file as the collector's <c>Collector:TenantsFile</c>,
/// followed on disk) over the platform's <c>FleetHistory</c> settings. Without a file every tenant
/// has the platform's settings and may query.
/// </summary>
internal sealed class TenantSettings
{
    private readonly TenantRegistryFile? _file;
    private readonly RetentionOptions _platform;

    /// <summary>Reads the registry now: a file that cannot be read or does not validate stops the start-up, naming it and each bad key.</summary>
    public TenantSettings(IOptions<FleetHistoryOptions> options, TimeProvider time, ILogger<TenantSettings> logger)
    {
        _platform = options.Value.Retention;
        if (options.Value.TenantsFile is { Length: > 0 } path)
        {
            _file = new TenantRegistryFile("FleetHistory:TenantsFile", path, time, logger);
        }
    }

    /// <summary>
    /// The tenant's retention before its admin sets any: the registry's days for each kind it sets,
    /// the platform's (<c>FleetHistory:Retention</c>) for the others.
    /// </summary>
    public RetentionDays DefaultRetention(string tenant)
    {
        var own = Entry(tenant)?.Retention;
        return new(
            own is { PositionsDays: > 0 } p ? p.PositionsDays : _platform.PositionsDays,
            own is { RollupsDays: > 0 } r ? r.RollupsDays : _platform.RollupsDays,
            own is { AlertsDays: > 0 } a ? a.AlertsDays : _platform.AlertsDays);
    }

    /// <summary>The registry's choice of ClickHouse layout for the tenant; null where it makes none.</summary>
    public ClickHouseIsolation? IsolationOf(string tenant) => Entry(tenant)?.Store?.Isolation;

    /// <summary>
    /// Why the tenant's users may not query, as the collector refuses its devices: disabled in the
    /// registry, or not in a closed one (PERMISSION_DENIED); null when they may. It names only the
    /// caller's own tenant.
    /// </summary>
    public Status? Refusal(string tenant)
    {
        if (_file?.Current is not { } registry)
        {
            return null;
        }

        if (registry.Tenants.TryGetValue(tenant, out var entry))
        {
            return entry.Enabled ? null : new Status(StatusCode.PermissionDenied, $"tenant {tenant} is disabled on this platform; ask the platform operator");
        }

        return registry.Open ? null : new Status(StatusCode.PermissionDenied, $"tenant {tenant} is not registered on this platform; ask the platform operator");
    }

    private TenantOptions? Entry(string tenant) =>
        _file?.Current is { } registry && registry.Tenants.TryGetValue(tenant, out var entry) ? entry : null;
}
