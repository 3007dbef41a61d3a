namespace Convoy.Contracts.Fleet;

/// <summary>
/// The roles of the fleet history API, in order: each can do what the ones before it can. A token
/// (the read side's bearer token, the console's sign-in) names them in its roles claim as
/// <c>viewer</c>, <c>analyst</c> and <c>admin</c>; the read side enforces them and the console
/// shows what they allow.
/// </summary>
public enum FleetRole
{
    None = 0,

    /// <summary><c>viewer</c>: reads fleet state, tracks, rollups, alerts and projection status.</summary>
    Viewer = 1,

    /// <summary><c>analyst</c>: also runs reports and exports.</summary>
    Analyst = 2,

    /// <summary><c>admin</c>: also sets retention and starts rebuilds.</summary>
    Admin = 3,
}

/// <summary>Reading and naming <see cref="FleetRole"/>s, the one way both the read side and the console do.</summary>
public static class FleetRoles
{
    /// <summary>The highest known role among <paramref name="roles"/> (each may itself be space-separated); None when there is none.</summary>
    public static FleetRole Highest(IEnumerable<string> roles)
    {
        ArgumentNullException.ThrowIfNull(roles);
        var highest = FleetRole.None;
        foreach (string value in roles)
        {
            foreach (string role in value.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var named = role switch
                {
                    "viewer" => FleetRole.Viewer,
                    "analyst" => FleetRole.Analyst,
                    "admin" => FleetRole.Admin,
                    _ => FleetRole.None,
                };
                highest = named > highest ? named : highest;
            }
        }

        return highest;
    }

    /// <summary>The role as a token names it: <c>viewer</c>, <c>analyst</c> or <c>admin</c>.</summary>
    public static string Name(FleetRole role) => role switch
    {
        FleetRole.Viewer => "viewer",
        FleetRole.Analyst => "analyst",
        FleetRole.Admin => "admin",
        _ => "none",
    };
}
