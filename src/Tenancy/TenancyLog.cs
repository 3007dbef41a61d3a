using Microsoft.Extensions.Logging;

namespace Convoy.Tenancy;

/// <summary>The tenant registry's log events, the same in every program that follows the file (ids 120-129).</summary>
internal static partial class TenancyLog
{
    [LoggerMessage(EventId = 120, EventName = "TenantRegistryReloaded", Level = LogLevel.Information,
        Message = "Tenant registry loaded: {Tenants} tenant(s)")]
    public static partial void TenantRegistryReloaded(ILogger logger, int tenants);

    [LoggerMessage(EventId = 121, EventName = "TenantRegistryRejected", Level = LogLevel.Error,
        Message = "Tenant registry file not applied, keeping the previous one: {Reason}")]
    public static partial void TenantRegistryRejected(ILogger logger, string reason);
}
