using System.Security.Claims;
using System.Security.Cryptography;
using Convoy.Contracts.Fleet;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace Convoy.TenantConsole.SignIn;

/// <summary>
/// How a person gets into the console: the console's own cookie, issued after an OpenID Connect
/// sign-in at the tenant's identity provider (or, in Development only, the dev sign-in page). The
/// cookie carries the tenant, the person, their roles and the token shown to the read side on their
/// behalf (<see cref="TenantUser"/>); it lasts no longer than that token. Every page, the Blazor hub
/// and every HTTP endpoint need it, except the sign-in pages themselves.
/// </summary>
internal static class ConsoleSignIn
{
    public const string SignInPath = "/signin";
    public const string RefusedPath = "/signin/refused";
    private const string DevSignInPath = "/signin/dev";
    private const string ProviderSignInPath = "/signin/provider";
    private static readonly TimeSpan DevTokenLifetime = TimeSpan.FromHours(12);

    public static void AddConsoleSignIn(this IServiceCollection services, TenantConsoleOptions options)
    {
        var authentication = services.AddAuthentication(o =>
        {
            o.DefaultScheme = CookieAuthenticationDefaults.AuthenticationScheme;
            o.DefaultChallengeScheme = CookieAuthenticationDefaults.AuthenticationScheme;
        });
        authentication.AddCookie(cookie =>
        {
            cookie.Cookie.Name = "convoy-console";
            cookie.Cookie.HttpOnly = true;
            cookie.Cookie.SameSite = SameSiteMode.Lax;
            cookie.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            cookie.LoginPath = SignInPath;
            cookie.ReturnUrlParameter = "returnUrl";
            cookie.AccessDeniedPath = RefusedPath;
            cookie.SlidingExpiration = false;
            cookie.Events.OnRedirectToLogin = context => Refuse(context, StatusCodes.Status401Unauthorized);
            cookie.Events.OnRedirectToAccessDenied = context => Refuse(context, StatusCodes.Status403Forbidden);
            // The cookie dies with the read-side token it carries.
            cookie.Events.OnValidatePrincipal = static context =>
            {
                if (TenantUser.From(context.Principal) is null)
                {
                    context.RejectPrincipal();
                }

                return Task.CompletedTask;
            };
        });

        if (options.Oidc.Enabled)
        {
            authentication.AddOpenIdConnect(oidc =>
            {
                var o = options.Oidc;
                oidc.Authority = o.Authority;
                oidc.ClientId = o.ClientId;
                oidc.ClientSecret = o.ClientSecret.Length > 0 ? o.ClientSecret : null;
                oidc.ResponseType = OpenIdConnectResponseType.Code;
                oidc.UsePkce = true;
                oidc.RequireHttpsMetadata = o.RequireHttpsMetadata;
                oidc.MapInboundClaims = false;
                oidc.SaveTokens = false; // the one token the console needs travels in its own claim
                oidc.GetClaimsFromUserInfoEndpoint = false;
                oidc.CallbackPath = "/signin/oidc";
                oidc.SignedOutCallbackPath = "/signout/oidc";
                oidc.Scope.Clear();
                oidc.Scope.Add("openid");
                foreach (string scope in o.Scopes.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                {
                    oidc.Scope.Add(scope);
                }

                oidc.Events.OnTokenValidated = context => FromProvider(context, o);
                oidc.Events.OnRemoteFailure = static context =>
                {
                    context.Response.Redirect($"{RefusedPath}?why={Uri.EscapeDataString(context.Failure?.Message ?? "the sign-in failed")}");
                    context.HandleResponse();
                    return Task.CompletedTask;
                };
            });
        }

        services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().RequireClaim(TenantUser.TenantClaim).Build());
        services.AddCascadingAuthenticationState();
    }

    /// <summary>The sign-in, dev sign-in and sign-out endpoints.</summary>
    public static void MapConsoleSignIn(this WebApplication app, TenantConsoleOptions options)
    {
        if (options.Oidc.Enabled)
        {
            app.MapGet(ProviderSignInPath, static (string? returnUrl) => Results.Challenge(
                new AuthenticationProperties { RedirectUri = LocalOnly(returnUrl) }, [OpenIdConnectDefaults.AuthenticationScheme]))
                .AllowAnonymous();
        }

        if (options.DevSignIn.Enabled)
        {
            var minter = new DevTokenMinter(options.DevSignIn);
            app.MapPost(DevSignInPath, async (HttpContext http, [FromForm] string tenant, [FromForm] string role, [FromForm] string? returnUrl) =>
            {
                if (!options.DevSignIn.Tenants.Contains(tenant, StringComparer.Ordinal) || FleetRoles.Highest([role]) == FleetRole.None)
                {
                    return Results.Redirect($"{RefusedPath}?why={Uri.EscapeDataString("pick one of the demo tenants and a role (viewer, analyst or admin)")}");
                }

                string subject = $"dispatcher@{tenant}";
                var expires = DateTimeOffset.UtcNow + DevTokenLifetime;
                string token = minter.Mint(tenant, subject, role, expires);
                var principal = Principal(tenant, subject, $"Dispatcher ({tenant})", [role], token, "dev");
                await http.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, principal,
                    new AuthenticationProperties { ExpiresUtc = expires, IsPersistent = false });
                var logger = http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Convoy.TenantConsole");
                ConsoleLog.SignedIn(logger, tenant, subject, "dev sign-in");
                return Results.LocalRedirect(LocalOnly(returnUrl));
            }).AllowAnonymous();
        }

        app.MapPost("/signout", async (HttpContext http) =>
        {
            await http.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            return Results.LocalRedirect(SignInPath);
        });
    }

    /// <summary>A local path to go back to after the sign-in; anything else (another site) becomes "/".</summary>
    internal static string LocalOnly(string? returnUrl) =>
        returnUrl is { Length: > 0 } url && url[0] == '/' && (url.Length == 1 || (url[1] != '/' && url[1] != '\\')) ? url : "/";

    private static ClaimsPrincipal Principal(string tenant, string subject, string name, IEnumerable<string> roles, string readSideToken, string how)
    {
        var identity = new ClaimsIdentity(how, TenantUser.NameClaim, TenantUser.RoleClaim);
        identity.AddClaim(new Claim(TenantUser.TenantClaim, tenant));
        identity.AddClaim(new Claim(TenantUser.SubjectClaim, subject));
        identity.AddClaim(new Claim(TenantUser.NameClaim, name));
        foreach (string role in roles.SelectMany(static r => r.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Distinct(StringComparer.Ordinal))
        {
            identity.AddClaim(new Claim(TenantUser.RoleClaim, role));
        }

        identity.AddClaim(new Claim(TenantUser.ReadSideTokenClaim, readSideToken));
        return new ClaimsPrincipal(identity);
    }

    /// <summary>
    /// Turns the provider's sign-in into the console's: the tenant and roles from the ID token's
    /// claims, the access token for the read side. A sign-in without a tenant, without a known role
    /// or without an access token is refused with a message that says which.
    /// </summary>
    private static Task FromProvider(TokenValidatedContext context, OidcSignInOptions options)
    {
        var claims = context.Principal!;
        string? tenant = claims.FindFirst(options.TenantClaim)?.Value;
        string? subject = claims.FindFirst("sub")?.Value;
        string[] roles = [.. claims.FindAll(options.RolesClaim).Select(static c => c.Value)];
        string? accessToken = context.TokenEndpointResponse?.AccessToken;
        string? problem =
            tenant is null ? $"your identity provider gave no '{options.TenantClaim}' claim: ask your administrator to map your company's tenant id to it"
            : !Pki.DeviceIdentity.IsValidTenant(tenant) ? $"the '{options.TenantClaim}' claim '{tenant}' is not a tenant id"
            : FleetRoles.Highest(roles) == FleetRole.None ? $"your sign-in carries none of the roles viewer, analyst or admin in its '{options.RolesClaim}' claim: ask your administrator for one"
            : string.IsNullOrEmpty(accessToken) ? "the identity provider issued no access token for the read side"
            : subject is null ? "the identity provider gave no 'sub' claim"
            : null;
        var logger = context.HttpContext.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Convoy.TenantConsole");
        if (problem is not null)
        {
            ConsoleLog.SignInRefused(logger, problem);
            context.Fail(problem);
            return Task.CompletedTask;
        }

        string name = claims.FindFirst("name")?.Value ?? claims.FindFirst("preferred_username")?.Value ?? subject!;
        context.Principal = Principal(tenant!, subject!, name, roles, accessToken!, "oidc");
        // The console's session ends when the read side would stop taking the token.
        var expires = new JsonWebToken(accessToken).ValidTo;
        if (expires > DateTime.UnixEpoch)
        {
            context.Properties!.ExpiresUtc = new DateTimeOffset(expires, TimeSpan.Zero);
        }

        ConsoleLog.SignedIn(logger, tenant!, subject!, "OpenID Connect");
        return Task.CompletedTask;
    }

    /// <summary>Pages go to the sign-in page; the hub, the downloads and every other non-page request get the status.</summary>
    private static Task Refuse(RedirectContext<CookieAuthenticationOptions> context, int status)
    {
        var request = context.Request;
        bool page = HttpMethods.IsGet(request.Method)
            && request.Headers.Accept.Any(static a => a is not null && a.Contains("text/html", StringComparison.Ordinal))
            && !request.Path.StartsWithSegments("/_blazor", StringComparison.Ordinal);
        if (page)
        {
            context.Response.Redirect(context.RedirectUri);
        }
        else
        {
            context.Response.StatusCode = status;
        }

        return Task.CompletedTask;
    }

    /// <summary>Mints the dev sign-in's read-side tokens with the key the read side trusts.</summary>
    private sealed class DevTokenMinter
    {
        private readonly SigningCredentials _signing;
        private readonly string _issuer;

        public DevTokenMinter(DevSignInOptions options)
        {
            string pem = File.ReadAllText(options.SigningKeyFile);
            SecurityKey key;
            string algorithm;
            var ec = ECDsa.Create();
            try
            {
                ec.ImportFromPem(pem);
                key = new ECDsaSecurityKey(ec) { KeyId = options.KeyId };
                algorithm = SecurityAlgorithms.EcdsaSha256;
            }
            catch (Exception e) when (e is ArgumentException or CryptographicException)
            {
                ec.Dispose();
                var rsa = RSA.Create();
                rsa.ImportFromPem(pem);
                key = new RsaSecurityKey(rsa) { KeyId = options.KeyId };
                algorithm = SecurityAlgorithms.RsaSha256;
            }

            _signing = new SigningCredentials(key, algorithm);
            _issuer = options.Issuer;
        }

        public string Mint(string tenant, string subject, string role, DateTimeOffset expires) =>
            new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
            {
                Issuer = _issuer,
                Audience = TenantConsoleOptions.ReadSideAudience,
                Claims = new Dictionary<string, object> { ["sub"] = subject, ["tid"] = tenant, ["roles"] = role },
                NotBefore = DateTime.UtcNow.AddMinutes(-1),
                Expires = expires.UtcDateTime,
                SigningCredentials = _signing,
            });
    }
}
