using System.Security.Claims;
using Convoy.Contracts.Fleet;

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

    private TenantUser(string tenant, string subject, string name, FleetRole role, string readSideToken)
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
    public FleetRole Role { get; }

    internal string ReadSideToken { get; }

    public bool CanRunReports => Role >= FleetRole.Analyst;

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

        var role = FleetRoles.Highest(principal.FindAll(RoleClaim).Select(static c => c.Value));
        if (role == FleetRole.None)
        {
            return null;
        }

        string name = principal.FindFirst(NameClaim)?.Value is { Length: > 0 } n ? n : subject;
        return new TenantUser(tenant, subject, name, role, token);
    }
}
