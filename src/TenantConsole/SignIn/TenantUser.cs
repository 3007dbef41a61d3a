using System.Security.Claims;

namespace Convoy.TenantConsole;

/// <summary>
/// Who is signed in, from the console's own cookie: the tenant (only ever from the sign-in, never
/// from a page's parameters), the person, their roles, and the token the console shows the read
/// side on their behalf. The claims are set once at sign-in (<see cref="SignIn.ConsoleSignIn"/>).
/// </summary>
public sealed class TenantUser
{
    internal const string TenantClaim = "tid";
    internal const string SubjectClaim = "sub";
    internal const string NameClaim = "name";
    internal const string RoleClaim = "role";
    internal const string ReadSideTokenClaim = "convoy:read-side-token";

    private TenantUser(string tenant, string subject, string name, ConsoleRole role, string readSideToken)
    {
        Tenant = tenant;
        Subject = subject;
        Name = name;
        Role = role;
        ReadSideToken = readSideToken;
    }

    public string Tenant { get; }

    public string Subject { get; }

    /// <summary>What the page shows: the person's name, else their subject.</summary>
    public string Name { get; }

    /// <summary>The highest of the person's roles.</summary>
    public ConsoleRole Role { get; }

    internal string ReadSideToken { get; }

    public bool CanRunReports => Role >= ConsoleRole.Analyst;

    /// <summary>The user of a signed-in principal; null when it is not a console sign-in (no tenant or no read-side token).</summary>
    public static TenantUser? From(ClaimsPrincipal? principal)
    {
        if (principal?.Identity?.IsAuthenticated != true)
        {
            return null;
        }

        string? tenant = principal.FindFirst(TenantClaim)?.Value;
        string? token = principal.FindFirst(ReadSideTokenClaim)?.Value;
        string? subject = principal.FindFirst(SubjectClaim)?.Value;
        if (tenant is null || !Pki.DeviceIdentity.IsValidTenant(tenant) || string.IsNullOrEmpty(token) || string.IsNullOrEmpty(subject))
        {
            return null;
        }

        var role = RoleOf(principal.FindAll(RoleClaim).Select(static c => c.Value));
        if (role == ConsoleRole.None)
        {
            return null;
        }

        string name = principal.FindFirst(NameClaim)?.Value is { Length: > 0 } n ? n : subject;
        return new TenantUser(tenant, subject, name, role, token);
    }

    /// <summary>The highest known role among <paramref name="roles"/> (each may itself be space-separated); None when there is none.</summary>
    public static ConsoleRole RoleOf(IEnumerable<string> roles)
    {
        var best = ConsoleRole.None;
        foreach (string value in roles)
        {
            foreach (string role in value.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var r = role switch
                {
                    "viewer" => ConsoleRole.Viewer,
                    "analyst" => ConsoleRole.Analyst,
                    "admin" => ConsoleRole.Admin,
                    _ => ConsoleRole.None,
                };
                best = r > best ? r : best;
            }
        }

        return best;
    }
}

/// <summary>The read side's roles, in order: each can do what the ones before it can.</summary>
public enum ConsoleRole
{
    None,
    Viewer,
    Analyst,
    Admin,
}
