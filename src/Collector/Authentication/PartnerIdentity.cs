namespace Convoy.Collector.Authentication;

/// <summary>What a partner token may do (the <c>roles</c> claim); other roles are ignored.</summary>
[Flags]
internal enum PartnerRoles
{
    None = 0,

    /// <summary><c>ingest</c>: write telemetry for any device of the token's tenant.</summary>
    Ingest = 1,

    /// <summary><c>alerts:read</c>: watch the token's tenant's alerts.</summary>
    AlertsRead = 2,
}

/// <summary>A partner as its verified token names it: the tenant only from <c>tid</c>.</summary>
internal sealed record PartnerIdentity(string Tenant, string Subject, PartnerRoles Roles, DateTimeOffset ExpiresAt, string? KeyId)
{
    public const string IngestRole = "ingest";
    public const string AlertsReadRole = "alerts:read";

    public static string RoleName(PartnerRoles role) => role switch
    {
        PartnerRoles.Ingest => IngestRole,
        PartnerRoles.AlertsRead => AlertsReadRole,
        _ => role.ToString(),
    };
}
