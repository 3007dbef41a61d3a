using System.Collections.Immutable;
using System.Net;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Convoy.TestKit;

/// <summary>Someone <see cref="TestIdentityProvider"/> can sign in: <paramref name="Roles"/> space-separated; no <paramref name="Tenant"/> = tokens without <c>tid</c>.</summary>
public sealed record TestPerson(string Subject, string Name, string? Tenant, string Roles);

/// <summary>
/// A real OpenID Connect provider (OpenIddict's server) on its own <see cref="WebApplication"/>
/// at http://127.0.0.1 on a free port, for the console's sign-in and the read side's tokens as a
/// tenant's identity provider gives them: discovery, JWKS, the authorization code flow with PKCE
/// required, one confidential client (<see cref="ClientId"/>, <see cref="ClientSecret"/>) whose
/// redirect URIs the test registers (<see cref="AllowRedirectUri"/>), and ID and access tokens as
/// JWTs signed RS256 with a key made here (<see cref="KeyId"/>), carrying <c>tid</c>,
/// <c>roles</c> and <c>name</c>. Its authorization endpoint shows a page with one button per
/// <see cref="TestPerson"/>; the choice signs that person in at the provider (its own cookie, so a
/// second authorization request goes through without the page) and completes the authorization.
/// No database: OpenIddict's degraded mode, with this class checking the client, its secret and
/// its redirect URIs. Authorization codes are then self-contained encrypted tokens, and with no
/// store to mark them used, a code can be redeemed more than once within its lifetime: a test of
/// the console may rely on what the provider issues, not on single-use codes.
/// </summary>
public sealed class TestIdentityProvider : IAsyncDisposable
{
    public const string ClientId = "convoy-console";
    public const string KeyId = "test-idp-rsa";
    public const string AuthorizationPath = "/connect/authorize";
    public const string TokenPath = "/connect/token";

    /// <summary>The form field of the login page that names the person chosen.</summary>
    public const string PersonField = "person";

    private const string CookieScheme = "test-idp";
    private readonly RSA _signingKey;
    private readonly TempFolder _folder;
    private readonly Lock _gate = new();
    private ImmutableHashSet<string> _redirectUris = ImmutableHashSet.Create<string>(StringComparer.Ordinal);
    private WebApplication? _app;
    private string _audience = TestFleetHistory.Audience;

    private TestIdentityProvider(IEnumerable<TestPerson> people)
    {
        People = [.. people];
        if (People.Select(static p => p.Subject).Distinct(StringComparer.Ordinal).Count() != People.Count)
        {
            throw new ArgumentException("each person needs a subject of their own", nameof(people));
        }

        _signingKey = RSA.Create(2048);
        _folder = new TempFolder("identity-provider");
        JwksFile = _folder.File("idp.jwks.json");
        File.WriteAllText(JwksFile, TestPartner.Jwks((KeyId, _signingKey)));
    }

    public IReadOnlyList<TestPerson> People { get; }

    /// <summary>
    /// The <c>aud</c> of the access tokens it issues from now on: the read side's, unless a test
    /// wants a token of this same provider meant for another service.
    /// </summary>
    public string Audience
    {
        get => Volatile.Read(ref _audience);
        set
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(value);
            Volatile.Write(ref _audience, value);
        }
    }

    /// <summary>A new one per provider, so a test cannot pass by guessing it.</summary>
    public string ClientSecret { get; } = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    /// <summary>The provider's public signing key as a JSON Web Key Set file, for <c>FleetHistory:Tokens:JwksFile</c>.</summary>
    public string JwksFile { get; }

    /// <summary>Everything the provider logged (OpenIddict says there why it refused a request).</summary>
    public TestLogs Logs { get; } = new();

    /// <summary>Where it listens, e.g. <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri Address { get; private set; } = null!;

    /// <summary>
    /// The <c>iss</c> of its tokens and the <c>issuer</c> of its discovery document: its address
    /// with the trailing slash, exactly as a verifier must be configured to compare it.
    /// </summary>
    public string Issuer => Address.AbsoluteUri;

    /// <summary>Starts a provider that can sign in <paramref name="people"/>.</summary>
    public static async Task<TestIdentityProvider> StartAsync(IEnumerable<TestPerson> people)
    {
        var provider = new TestIdentityProvider(people);
        try
        {
            await provider.StartServerAsync();
            return provider;
        }
        catch
        {
            await provider.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Lets the client be sent back to <paramref name="redirectUri"/> (compared exactly, as
    /// OpenID Connect requires); every other redirect URI is refused. The console's is only known
    /// once it listens: <c>new Uri(consoleAddress, "/signin/oidc")</c>.
    /// </summary>
    public void AllowRedirectUri(Uri redirectUri)
    {
        ArgumentNullException.ThrowIfNull(redirectUri);
        if (!redirectUri.IsAbsoluteUri)
        {
            throw new ArgumentException("a redirect URI is absolute", nameof(redirectUri));
        }

        lock (_gate)
        {
            _redirectUris = _redirectUris.Add(redirectUri.AbsoluteUri);
        }
    }

    /// <summary>The read side's switches that trust this provider's tokens for <paramref name="audience"/>.</summary>
    public string[] ReadSideSwitches(string audience = TestFleetHistory.Audience) => TokenSwitches("FleetHistory:Tokens", audience);

    /// <summary>The switches of a program's token section (e.g. <c>FleetHistory:Tokens</c>) that trust this provider's JWKS for <paramref name="audience"/>.</summary>
    public string[] TokenSwitches(string section, string audience) =>
        [$"--{section}:Issuer={Issuer}", $"--{section}:Audience={audience}", $"--{section}:JwksFile={JwksFile}"];

    /// <summary>The console's switches that sign in through this provider (plain http is allowed: it is on this machine).</summary>
    public string[] ConsoleSwitches() =>
    [
        $"--TenantConsole:Oidc:Authority={Issuer}", $"--TenantConsole:Oidc:ClientId={ClientId}",
        $"--TenantConsole:Oidc:ClientSecret={ClientSecret}", "--TenantConsole:Oidc:RequireHttpsMetadata=false",
    ];

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
            Logs.AssertNoUnexpectedErrors();
        }

        Logs.Dispose();
        _signingKey.Dispose();
        _folder.Dispose();
    }

    private async Task StartServerAsync()
    {
        // Its own empty content root, so it reads no appsettings.json of the test's output folder;
        // Development, so a failure in this class comes back as the exception, not a bare 500.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = "Convoy.TestIdentityProvider",
            ContentRootPath = _folder.Path,
            EnvironmentName = "Development",
        });
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        // OpenIddict says why it refused a request at Information.
        builder.Logging.ClearProviders().AddProvider(Logs.Provider).SetMinimumLevel(LogLevel.Information);
        // Keys for the provider's cookie in memory: nothing of a test's provider belongs on disk.
        builder.Services.AddDataProtection().UseEphemeralDataProtectionProvider();
        builder.Services.AddAuthentication(CookieScheme).AddCookie(CookieScheme, cookie =>
        {
            // Its own name: the console runs on 127.0.0.1 too, and cookies do not tell ports apart.
            cookie.Cookie.Name = "convoy-test-idp";
            cookie.Cookie.SameSite = SameSiteMode.Lax;
        });
        builder.Services.AddOpenIddict().AddServer(server =>
        {
            server.SetAuthorizationEndpointUris(AuthorizationPath.TrimStart('/'))
                .SetTokenEndpointUris(TokenPath.TrimStart('/'))
                .AllowAuthorizationCodeFlow()
                .RequireProofKeyForCodeExchange()
                .RegisterScopes(Scopes.Profile, Scopes.Roles)
                .AddSigningKey(new RsaSecurityKey(_signingKey) { KeyId = KeyId })
                // Authorization codes are encrypted with a key that dies with the provider.
                .AddEphemeralEncryptionKey()
                // The read side verifies access tokens itself, so they are signed JWTs, not encrypted ones.
                .DisableAccessTokenEncryption()
                .EnableDegradedMode()
                .AddEventHandler<OpenIddictServerEvents.ValidateAuthorizationRequestContext>(handler =>
                    handler.UseInlineHandler(context =>
                    {
                        ValidateAuthorization(context);
                        return default;
                    }))
                .AddEventHandler<OpenIddictServerEvents.ValidateTokenRequestContext>(handler =>
                    handler.UseInlineHandler(context =>
                    {
                        ValidateClient(context);
                        return default;
                    }));
            server.UseAspNetCore()
                .EnableAuthorizationEndpointPassthrough()
                // Plain http on loopback: the console and the tests reach it at http://127.0.0.1.
                .DisableTransportSecurityRequirement();
        });
        // The issuer is the address Kestrel bound, known only once it listens; OpenIddict reads its
        // options on the first request, after the start. A fixed issuer (rather than one inferred
        // from each request's Host) is what a verifier compares against.
        builder.Services.AddOptions<OpenIddictServerOptions>().Configure<IServer>((options, server) =>
            options.Issuer = new Uri(ListeningAddress(server)));

        var app = builder.Build();
        app.UseAuthentication();
        app.MapMethods(AuthorizationPath, [HttpMethods.Get, HttpMethods.Post], AuthorizeAsync);
        _app = app;
        await app.StartAsync();
        Address = new Uri(ListeningAddress(app.Services.GetRequiredService<IServer>()));
    }

    private static string ListeningAddress(IServer server)
    {
        string address = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
            ?? throw new InvalidOperationException("the identity provider was asked for its issuer before it listened");
        return address.TrimEnd('/') + "/";
    }

    /// <summary>What OpenIddict leaves to the host in degraded mode: the client must be ours, and its redirect URI registered.</summary>
    private void ValidateAuthorization(OpenIddictServerEvents.ValidateAuthorizationRequestContext context)
    {
        if (!string.Equals(context.ClientId, ClientId, StringComparison.Ordinal))
        {
            context.Reject(Errors.InvalidClient, $"the client '{context.ClientId}' is not registered at this provider");
        }
        else if (context.RedirectUri is null || !Volatile.Read(ref _redirectUris).Contains(context.RedirectUri))
        {
            // Rejected before OpenIddict trusts the address, so the error is shown here, never sent there.
            context.Reject(Errors.InvalidRequest, $"the redirect_uri '{context.RedirectUri}' is not registered for client '{ClientId}'");
        }
    }

    /// <summary>The token request must come from our client with its secret (in the body or as HTTP basic authentication).</summary>
    private void ValidateClient(OpenIddictServerEvents.ValidateTokenRequestContext context)
    {
        bool ours = string.Equals(context.ClientId, ClientId, StringComparison.Ordinal);
        byte[] given = Encoding.UTF8.GetBytes(context.Request.ClientSecret ?? "");
        if (!ours || !CryptographicOperations.FixedTimeEquals(given, Encoding.UTF8.GetBytes(ClientSecret)))
        {
            context.Reject(Errors.InvalidClient, "the client id or secret is not the registered client's");
        }
    }

    /// <summary>
    /// The authorization endpoint once OpenIddict has validated the request: a person already
    /// signed in here goes straight back to the client; otherwise the login page, whose form
    /// posts the same request back with the person chosen.
    /// </summary>
    private async Task AuthorizeAsync(HttpContext http)
    {
        var request = http.GetOpenIddictServerRequest() ?? throw new InvalidOperationException("OpenIddict passed through no authorization request");
        TestPerson? person;
        if (HttpMethods.IsPost(http.Request.Method))
        {
            string? chosen = (string?)request.GetParameter(PersonField);
            person = People.FirstOrDefault(p => p.Subject == chosen);
            if (person is null)
            {
                await LoginPageAsync(http, StatusCodes.Status400BadRequest, $"No one here is called '{chosen}'.");
                return;
            }

            var cookie = new ClaimsIdentity(CookieScheme, Claims.Subject, Claims.Role);
            cookie.AddClaim(new Claim(Claims.Subject, person.Subject));
            await http.SignInAsync(CookieScheme, new ClaimsPrincipal(cookie));
        }
        else
        {
            var session = await http.AuthenticateAsync(CookieScheme);
            string? subject = session.Succeeded ? session.Principal.FindFirst(Claims.Subject)?.Value : null;
            person = request.HasPromptValue(PromptValues.Login) ? null : People.FirstOrDefault(p => p.Subject == subject);
            if (person is null)
            {
                await LoginPageAsync(http, StatusCodes.Status200OK, null);
                return;
            }
        }

        await http.SignInAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme, Principal(person, request, Audience));
    }

    /// <summary>
    /// The person's claims for both tokens, the scopes granted (all those asked for: there is no
    /// consent screen), and the access token's audience. The audience is the provider's, not asked
    /// for by the client: OpenIddict takes only absolute URIs as RFC 8707 resource indicators, and
    /// the read side's audience is a plain name, as providers set it with an audience mapping.
    /// </summary>
    private static ClaimsPrincipal Principal(TestPerson person, OpenIddictRequest request, string audience)
    {
        var identity = new ClaimsIdentity(TokenValidationParameters.DefaultAuthenticationType, Claims.Name, Claims.Role);
        identity.SetClaim(Claims.Subject, person.Subject).SetClaim(Claims.Name, person.Name);
        if (person.Tenant is not null)
        {
            identity.SetClaim("tid", person.Tenant);
        }

        // One claim per role: several come out as a JSON array, as most providers write them.
        identity.SetClaims("roles", [.. person.Roles.Split(' ', StringSplitOptions.RemoveEmptyEntries)]);
        var principal = new ClaimsPrincipal(identity);
        principal.SetScopes(request.GetScopes());
        principal.SetResources(audience);
        // The console reads the tenant and roles from the ID token, the read side from the access token.
        principal.SetDestinations(static _ => [Destinations.AccessToken, Destinations.IdentityToken]);
        return principal;
    }

    /// <summary>
    /// One button per person, in a form that posts the authorization request's own parameters
    /// back to the authorization endpoint (OpenIddict validates it again there). No antiforgery
    /// token: this provider only ever serves a test on this machine.
    /// </summary>
    private Task LoginPageAsync(HttpContext http, int status, string? problem)
    {
        var html = HtmlEncoder.Default;
        var page = new StringBuilder();
        page.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Sign in: test identity provider</title></head><body><main>");
        page.Append("<h1>Sign in to the test identity provider</h1>");
        if (problem is not null)
        {
            page.Append("<p role=\"alert\">").Append(html.Encode(problem)).Append("</p>");
        }

        page.Append("<form method=\"post\" action=\"").Append(html.Encode(AuthorizationPath)).Append("\">");
        var parameters = HttpMethods.IsPost(http.Request.Method) ? http.Request.Form.AsEnumerable() : http.Request.Query.AsEnumerable();
        foreach (var (name, values) in parameters)
        {
            if (name == PersonField)
            {
                continue;
            }

            foreach (string? value in values)
            {
                page.Append("<input type=\"hidden\" name=\"").Append(html.Encode(name)).Append("\" value=\"").Append(html.Encode(value ?? "")).Append("\">");
            }
        }

        foreach (var person in People)
        {
            page.Append("<p><button type=\"submit\" name=\"").Append(PersonField).Append("\" value=\"").Append(html.Encode(person.Subject)).Append("\">")
                .Append("Sign in as ").Append(html.Encode(person.Subject)).Append("</button></p>");
        }

        page.Append("</form></main></body></html>");
        http.Response.StatusCode = status;
        http.Response.ContentType = "text/html; charset=utf-8";
        return http.Response.WriteAsync(page.ToString());
    }
}
