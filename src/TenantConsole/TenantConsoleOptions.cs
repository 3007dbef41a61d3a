using System.ComponentModel.DataAnnotations;
using Convoy.OptionsValidation;
using Microsoft.Extensions.Options;

namespace Convoy.TenantConsole;

/// <summary>Configuration section <c>TenantConsole</c>.</summary>
public sealed class TenantConsoleOptions : IValidatableObject
{
    public const string SectionName = "TenantConsole";

    /// <summary>The <c>aud</c> of the tokens the read side accepts, unless it was configured otherwise.</summary>
    public const string ReadSideAudience = "convoy-fleet-history";

    /// <summary>Listen address.</summary>
    [Required(ErrorMessage = "Configuration 'TenantConsole:Address' must be an IP address.")]
    public string Address { get; set; } = "127.0.0.1";

    /// <summary>HTTP port of the console (put TLS in front of it); 0 = any free port.</summary>
    [SettingRange("TenantConsole:Port", 0, 65535)]
    public int Port { get; set; } = 5080;

    /// <summary>The read side's gRPC address (the fleet history program's GrpcPort), http:// or https://.</summary>
    [Required(ErrorMessage = "Configuration 'TenantConsole:FleetHistoryUrl' must be the read side's gRPC address, e.g. http://127.0.0.1:5090.")]
    public string FleetHistoryUrl { get; set; } = "http://127.0.0.1:5090";

    /// <summary>
    /// A raster tile server for the map, as a URL template with <c>{z}</c>, <c>{x}</c> and <c>{y}</c>
    /// (e.g. an OpenStreetMap-compatible server); empty = the map is drawn on a plain projected
    /// background with the tenant's geofences.
    /// </summary>
    public string TileUrl { get; set; } = "";

    /// <summary>A truck is listed as silent on the Status page when nothing came from it for this long.</summary>
    [SettingRange("TenantConsole:SilentAfter", "00:01:00", "7.00:00:00")]
    public TimeSpan SilentAfter { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Sign-in through the tenant's OpenID Connect identity provider.</summary>
    [ValidateObjectMembers]
    public OidcSignInOptions Oidc { get; set; } = new();

    /// <summary>The Development sign-in, which picks a demo tenant without an identity provider. Refused outside Development.</summary>
    [ValidateObjectMembers]
    public DevSignInOptions DevSignIn { get; set; } = new();

    /// <summary>The rules that span settings; run by the generated checks after the attributes.</summary>
    IEnumerable<ValidationResult> IValidatableObject.Validate(ValidationContext validationContext)
    {
        if (PortInUse.Check("TenantConsole:Port", Address, Port) is { } taken)
        {
            yield return taken;
        }

        if (!Uri.TryCreate(FleetHistoryUrl, UriKind.Absolute, out var readSide) || readSide.Scheme is not ("http" or "https"))
        {
            yield return new ValidationResult($"Configuration 'TenantConsole:FleetHistoryUrl' must be an absolute http:// or https:// address of the read side's gRPC port, was '{FleetHistoryUrl}'.");
        }

        if (TileUrl.Length > 0 && !(TileUrl.StartsWith("https://", StringComparison.Ordinal) || TileUrl.StartsWith("http://", StringComparison.Ordinal))
            || TileUrl.Length > 0 && !(TileUrl.Contains("{z}", StringComparison.Ordinal) && TileUrl.Contains("{x}", StringComparison.Ordinal) && TileUrl.Contains("{y}", StringComparison.Ordinal)))
        {
            yield return new ValidationResult($"Configuration 'TenantConsole:TileUrl' must be an http(s) URL template with {{z}}, {{x}} and {{y}}, was '{TileUrl}'.");
        }

        if (!Oidc.Enabled && !DevSignIn.Enabled)
        {
            yield return new ValidationResult("Configuration 'TenantConsole:Oidc:Authority' is not set: give the tenant's OpenID Connect identity provider (or, in Development only, TenantConsole:DevSignIn:Tenants).");
        }
    }
}

/// <summary>
/// Sign-in through an OpenID Connect provider (Keycloak, Auth0, Entra ID...), authorization code
/// flow with PKCE. The provider's ID token must carry the tenant (<see cref="TenantClaim"/>) and the
/// roles (<see cref="RolesClaim"/>), and its access token is what the console shows the read side,
/// so the read side must trust the provider (FleetHistory:Tokens).
/// </summary>
public sealed class OidcSignInOptions : IValidatableObject
{
    /// <summary>The provider's issuer address; its discovery document is at <c>/.well-known/openid-configuration</c> below it.</summary>
    public string Authority { get; set; } = "";

    public string ClientId { get; set; } = "";

    /// <summary>The client secret, for a confidential client; empty for a public client (PKCE only).</summary>
    public string ClientSecret { get; set; } = "";

    /// <summary>Scopes asked for besides <c>openid</c>, space-separated; must make the provider put the tenant and roles in the tokens.</summary>
    public string Scopes { get; set; } = "profile roles";

    /// <summary>The claim that names the tenant.</summary>
    public string TenantClaim { get; set; } = "tid";

    /// <summary>The claim that holds the roles (viewer, analyst, admin).</summary>
    public string RolesClaim { get; set; } = "roles";

    /// <summary>Only false for a provider on plain http on this machine, in tests and development.</summary>
    public bool RequireHttpsMetadata { get; set; } = true;

    public bool Enabled => Authority.Length > 0;

    IEnumerable<ValidationResult> IValidatableObject.Validate(ValidationContext validationContext)
    {
        if (!Enabled)
        {
            yield break;
        }

        if (!Uri.TryCreate(Authority, UriKind.Absolute, out var authority) || authority.Scheme is not ("http" or "https"))
        {
            yield return new ValidationResult($"Configuration 'TenantConsole:Oidc:Authority' must be the identity provider's absolute address, was '{Authority}'.");
        }
        else if (RequireHttpsMetadata && authority.Scheme != "https")
        {
            yield return new ValidationResult($"Configuration 'TenantConsole:Oidc:Authority' must be https (was '{Authority}'); only set TenantConsole:Oidc:RequireHttpsMetadata=false for a provider on this machine.");
        }

        if (ClientId.Length == 0)
        {
            yield return new ValidationResult("Configuration 'TenantConsole:Oidc:ClientId' is not set: give the client id the identity provider registered for the console.");
        }

        if (TenantClaim.Length == 0 || RolesClaim.Length == 0)
        {
            yield return new ValidationResult("Configuration 'TenantConsole:Oidc:TenantClaim' and 'TenantConsole:Oidc:RolesClaim' must name claims.");
        }
    }
}

/// <summary>
/// The Development sign-in: a page that signs in as a dispatcher of one of <see cref="Tenants"/>,
/// and read-side tokens minted with <see cref="SigningKeyFile"/> for issuer <see cref="Issuer"/>.
/// The console refuses to start with it outside the Development environment.
/// </summary>
public sealed class DevSignInOptions : IValidatableObject
{
    /// <summary>The tenants one can sign in as; empty = no dev sign-in.</summary>
    public List<string> Tenants { get; } = [];

    /// <summary>A PEM private key (EC P-256 or RSA) whose public half the read side trusts (FleetHistory:Tokens:KeyFiles).</summary>
    public string SigningKeyFile { get; set; } = "";

    /// <summary>The <c>iss</c> of the minted tokens, the read side's FleetHistory:Tokens:Issuer.</summary>
    public string Issuer { get; set; } = "convoy-demo";

    /// <summary>The <c>kid</c> of the minted tokens: the read side names a PEM key by its file name without the extension.</summary>
    public string KeyId { get; set; } = "demo-issuer";

    public bool Enabled => Tenants.Count > 0;

    IEnumerable<ValidationResult> IValidatableObject.Validate(ValidationContext validationContext)
    {
        if (!Enabled)
        {
            yield break;
        }

        foreach (string tenant in Tenants)
        {
            if (!Pki.DeviceIdentity.IsValidTenant(tenant))
            {
                yield return new ValidationResult($"Configuration 'TenantConsole:DevSignIn:Tenants' holds '{tenant}', which is not a tenant id (1..63 characters of [a-z0-9-]).");
            }
        }

        if (SigningKeyFile.Length == 0 || !File.Exists(SigningKeyFile))
        {
            yield return new ValidationResult($"Configuration 'TenantConsole:DevSignIn:SigningKeyFile' names '{SigningKeyFile}', which does not exist: give the PEM private key of the issuer the read side trusts.");
        }
    }
}

/// <summary>The attribute checks and <see cref="IValidatableObject"/> rules, generated.</summary>
[OptionsValidator]
internal sealed partial class TenantConsoleOptionsValidator : IValidateOptions<TenantConsoleOptions>;

/// <summary>The Development sign-in only in Development: a dev page that signs anyone in as any tenant must never reach production.</summary>
internal sealed class DevSignInPolicy(Microsoft.Extensions.Hosting.IHostEnvironment environment) : IValidateOptions<TenantConsoleOptions>
{
    public ValidateOptionsResult Validate(string? name, TenantConsoleOptions options) =>
        options.DevSignIn.Enabled && !Microsoft.Extensions.Hosting.HostEnvironmentEnvExtensions.IsDevelopment(environment)
            ? ValidateOptionsResult.Fail($"Configuration 'TenantConsole:DevSignIn:Tenants' is set in the '{environment.EnvironmentName}' environment: the dev sign-in lets anyone in as any tenant and is only allowed in Development. Configure TenantConsole:Oidc instead.")
            : ValidateOptionsResult.Success;
}
