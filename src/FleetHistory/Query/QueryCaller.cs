namespace Convoy.FleetHistory.Query;

/// <summary>What a caller may do, by its token's <c>roles</c>: each role includes the ones before it.</summary>
internal enum QueryRole
{
    None = 0,

    /// <summary><c>viewer</c>: reads fleet state, tracks, rollups, alerts and projection status.</summary>
    Viewer = 1,

    /// <summary><c>analyst</c>: also runs reports and exports.</summary>
    Analyst = 2,

    /// <summary><c>admin</c>: also sets retention and starts rebuilds.</summary>
    Admin = 3,
}

/// <summary>
/// A verified caller: the tenant only from its token's <c>tid</c>, and its highest role.
/// <paramref name="ExpiresAt"/> is when its token expires (a watch lasts no longer); null = never.
/// </summary>
internal sealed record QueryCaller(string Tenant, string Subject, QueryRole Role, DateTimeOffset? ExpiresAt = null)
{
    public static QueryRole RoleOf(IEnumerable<string> roles)
    {
        var highest = QueryRole.None;
        foreach (string role in roles)
        {
            var named = role switch
            {
                "viewer" => QueryRole.Viewer,
                "analyst" => QueryRole.Analyst,
                "admin" => QueryRole.Admin,
                _ => QueryRole.None,
            };
            highest = named > highest ? named : highest;
        }

        return highest;
    }

    public static string Name(QueryRole role) => role.ToString().ToLowerInvariant();
}

/// <summary>The outcome of checking a bearer token: the caller, or why not (a sentence the caller can act on).</summary>
internal readonly record struct CallerVerdict(QueryCaller? Caller, string? Problem);

/// <summary>Verifies a query API bearer token.</summary>
internal interface ICallerTokens
{
    Task<CallerVerdict> VerifyAsync(string token);
}
