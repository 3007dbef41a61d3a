using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Convoy.Contracts.Fleet.V1;
using Convoy.Kafka.Embedded;
using Convoy.Tokens;
using Grpc.Core;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Convoy.TenantConsole.Tests;

/// <summary>
/// The test kit's identity provider, driven through the authorization code flow with an
/// <see cref="HttpClient"/> as a browser and the console's OpenID Connect handler would: what it
/// issues must be what the read side's verifier accepts, and what it refuses must stay refused.
/// </summary>
public sealed partial class TestIdentityProviderTests : IAsyncLifetime
{
    private static readonly Uri RedirectUri = new("http://127.0.0.1:5080/signin/oidc");
    private TestIdentityProvider _provider = null!;

    public async Task InitializeAsync()
    {
        _provider = await TestIdentityProvider.StartAsync(
        [
            new TestPerson("ann@acme", "Ann Archer", "acme", "viewer analyst"),
            new TestPerson("gus@globex", "Gus Grant", "globex", "viewer"),
            new TestPerson("nat@nowhere", "Nat Noone", null, "viewer"),
        ]);
        _provider.AllowRedirectUri(RedirectUri);
    }

    public async Task DisposeAsync() => await _provider.DisposeAsync();

    [Fact]
    public async Task The_discovery_document_names_the_issuer_the_endpoints_and_the_signing_key()
    {
        using var http = new HttpClient();
        using var discovery = JsonDocument.Parse(await http.GetStringAsync(new Uri(_provider.Address, ".well-known/openid-configuration")));
        var root = discovery.RootElement;
        Assert.Equal(_provider.Issuer, root.GetProperty("issuer").GetString());
        Assert.Equal(new Uri(_provider.Address, TestIdentityProvider.AuthorizationPath).AbsoluteUri, root.GetProperty("authorization_endpoint").GetString());
        Assert.Equal(new Uri(_provider.Address, TestIdentityProvider.TokenPath).AbsoluteUri, root.GetProperty("token_endpoint").GetString());
        Assert.Contains("S256", Strings(root.GetProperty("code_challenge_methods_supported")));
        Assert.Contains("code", Strings(root.GetProperty("response_types_supported")));

        using var jwks = JsonDocument.Parse(await http.GetStringAsync(root.GetProperty("jwks_uri").GetString()));
        var key = Assert.Single(jwks.RootElement.GetProperty("keys").EnumerateArray());
        Assert.Equal(TestIdentityProvider.KeyId, key.GetProperty("kid").GetString());
        Assert.Equal("RSA", key.GetProperty("kty").GetString());
    }

    [Fact]
    public async Task The_code_flow_with_PKCE_gives_an_access_token_the_read_side_accepts_as_the_persons_tenant_and_roles()
    {
        using var flow = new CodeFlow(_provider);
        using var page = await flow.AuthorizeAsync(RedirectUri);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        string html = await page.Content.ReadAsStringAsync();
        Assert.Contains("<button type=\"submit\" name=\"person\" value=\"ann@acme\">Sign in as ann@acme</button>", html, StringComparison.Ordinal);
        Assert.Contains(">Sign in as gus@globex</button>", html, StringComparison.Ordinal);

        string code = await flow.ChooseAsync(html, "ann@acme");
        using var tokens = await flow.RedeemAsync(code, _provider.ClientSecret);
        Assert.Equal(HttpStatusCode.OK, tokens.StatusCode);
        var (access, identity) = await CodeFlow.TokensOf(tokens);

        var bearer = AssertAccepted(await Verifier(_provider, TestFleetHistory.Audience).VerifyAsync(access));
        Assert.Equal("acme", bearer.Tenant);
        Assert.Equal("ann@acme", bearer.Subject);
        Assert.Equal(["analyst", "viewer"], bearer.Roles.Order(StringComparer.Ordinal));
        Assert.Equal(TestIdentityProvider.KeyId, bearer.KeyId);
        var accessToken = new JsonWebToken(access);
        Assert.Equal(_provider.Issuer, accessToken.Issuer);
        Assert.Equal([TestFleetHistory.Audience], accessToken.Audiences);
        Assert.Equal("Ann Archer", accessToken.GetPayloadValue<string>("name"));

        // The console reads the same person from the ID token, issued to it as the audience.
        var idBearer = AssertAccepted(await Verifier(_provider, TestIdentityProvider.ClientId).VerifyAsync(identity));
        Assert.Equal("acme", idBearer.Tenant);
        Assert.Equal(["analyst", "viewer"], idBearer.Roles.Order(StringComparer.Ordinal));
        var idToken = new JsonWebToken(identity);
        Assert.Equal("Ann Archer", idToken.GetPayloadValue<string>("name"));
        Assert.Equal(flow.Nonce, idToken.GetPayloadValue<string>("nonce"));
    }

    [Fact]
    public async Task A_second_sign_in_goes_through_on_the_providers_cookie_without_the_login_page()
    {
        using var flow = new CodeFlow(_provider);
        using (var page = await flow.AuthorizeAsync(RedirectUri))
        {
            await flow.ChooseAsync(await page.Content.ReadAsStringAsync(), "gus@globex");
        }

        using var again = await flow.AuthorizeAsync(RedirectUri);
        Assert.Equal(HttpStatusCode.Redirect, again.StatusCode);
        using var tokens = await flow.RedeemAsync(CodeFlow.CodeOf(again, flow.State), _provider.ClientSecret);
        var bearer = AssertAccepted(await Verifier(_provider, TestFleetHistory.Audience).VerifyAsync((await CodeFlow.TokensOf(tokens)).Access));
        Assert.Equal("globex", bearer.Tenant);
        Assert.Equal(["viewer"], bearer.Roles);
    }

    [Fact]
    public async Task An_unregistered_redirect_uri_is_refused_on_the_provider_and_never_sent_a_code()
    {
        foreach (var elsewhere in new[] { new Uri("http://127.0.0.1:5081/signin/oidc"), new Uri("http://127.0.0.1:5080/signin/oidc/more"), new Uri("http://evil.example/signin/oidc") })
        {
            using var refused = await Once(new CodeFlow(_provider), elsewhere);
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Null(refused.Headers.Location);
            string body = await refused.Content.ReadAsStringAsync();
            Assert.Contains("redirect_uri", body, StringComparison.Ordinal);
            Assert.DoesNotContain("Sign in as", body, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Another_client_id_is_refused()
    {
        using var refused = await Once(new CodeFlow(_provider, clientId: "someone-else"), RedirectUri);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Null(refused.Headers.Location);
        string body = await refused.Content.ReadAsStringAsync();
        Assert.Contains("invalid_client", body, StringComparison.Ordinal);
        Assert.DoesNotContain("Sign in as", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wrong_client_secret_is_refused_and_the_right_one_then_redeems_the_code()
    {
        using var flow = new CodeFlow(_provider);
        using var page = await flow.AuthorizeAsync(RedirectUri);
        string code = await flow.ChooseAsync(await page.Content.ReadAsStringAsync(), "ann@acme");

        using (var wrong = await flow.RedeemAsync(code, "not-the-secret"))
        {
            Assert.False(wrong.IsSuccessStatusCode);
            Assert.Equal("invalid_client", await ErrorOf(wrong));
        }

        using (var none = await flow.RedeemAsync(code, clientSecret: null))
        {
            Assert.Equal("invalid_client", await ErrorOf(none));
        }

        using var right = await flow.RedeemAsync(code, _provider.ClientSecret);
        Assert.Equal(HttpStatusCode.OK, right.StatusCode);
    }

    [Fact]
    public async Task PKCE_is_required_and_a_wrong_verifier_does_not_redeem_the_code()
    {
        using (var withoutChallenge = await Once(new CodeFlow(_provider, pkce: false), RedirectUri))
        {
            // Refused before the redirect URI is trusted, so shown on the provider like the others.
            Assert.Equal(HttpStatusCode.BadRequest, withoutChallenge.StatusCode);
            Assert.Null(withoutChallenge.Headers.Location);
            string body = await withoutChallenge.Content.ReadAsStringAsync();
            Assert.Contains("code_challenge", body, StringComparison.Ordinal);
            Assert.DoesNotContain("Sign in as", body, StringComparison.Ordinal);
        }

        using var flow = new CodeFlow(_provider);
        using var page = await flow.AuthorizeAsync(RedirectUri);
        string code = await flow.ChooseAsync(await page.Content.ReadAsStringAsync(), "ann@acme");
        using var stolen = await flow.RedeemAsync(code, _provider.ClientSecret, codeVerifier: CodeFlow.NewVerifier());
        Assert.Equal("invalid_grant", await ErrorOf(stolen));
    }

    [Fact]
    public async Task A_person_without_a_tenant_gets_tokens_the_read_side_refuses()
    {
        using var flow = new CodeFlow(_provider);
        using var page = await flow.AuthorizeAsync(RedirectUri);
        using var tokens = await flow.RedeemAsync(await flow.ChooseAsync(await page.Content.ReadAsStringAsync(), "nat@nowhere"), _provider.ClientSecret);
        var verdict = await Verifier(_provider, TestFleetHistory.Audience).VerifyAsync((await CodeFlow.TokensOf(tokens)).Access);
        Assert.Null(verdict.Bearer);
        Assert.Equal("token-no-tenant", verdict.Reason);
    }

    [Fact]
    public async Task An_access_token_for_another_audience_is_refused_by_the_read_sides_verifier()
    {
        _provider.Audience = TestPartner.Audience;
        string access = await AccessTokenAsync(_provider, "ann@acme");
        Assert.Equal([TestPartner.Audience], new JsonWebToken(access).Audiences);

        Assert.Equal("token-wrong-audience", (await Verifier(_provider, TestFleetHistory.Audience).VerifyAsync(access)).Reason);
        Assert.NotNull((await Verifier(_provider, TestPartner.Audience).VerifyAsync(access)).Bearer);
    }

    [Fact]
    public async Task The_read_side_trusting_the_provider_serves_its_access_token_and_refuses_one_for_another_audience()
    {
        using var kafka = EmbeddedKafkaCluster.Start();
        await using var history = await TestFleetHistory.StartAsync(kafka, _provider);
        var client = history.Client();

        // acme has no trucks yet: an answer at all is the read side taking ann as acme's viewer.
        var state = await client.GetFleetStateAsync(new GetFleetStateRequest(), TestPartner.Bearer(await AccessTokenAsync(_provider, "ann@acme")));
        Assert.Empty(state.Devices);

        _provider.Audience = TestPartner.Audience;
        string elsewhere = await AccessTokenAsync(_provider, "ann@acme");
        var refused = await Assert.ThrowsAsync<RpcException>(() =>
            client.GetFleetStateAsync(new GetFleetStateRequest(), TestPartner.Bearer(elsewhere)).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
        Assert.Contains("audience", refused.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_console_signs_a_person_in_through_the_provider_and_refuses_one_without_a_tenant()
    {
        using var logs = new TestLogs();
        await using var console = TenantConsoleHost.Build(["--TenantConsole:Port=0", .. _provider.ConsoleSwitches()], "Production", services =>
        {
            services.AddSingleton(logs.Provider);
            // The handler's correlation and nonce cookies are Secure; a browser keeps them for
            // http://127.0.0.1 (a secure context), HttpClient's cookie container does not.
            services.PostConfigure<OpenIdConnectOptions>(OpenIdConnectDefaults.AuthenticationScheme, oidc =>
            {
                oidc.CorrelationCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                oidc.NonceCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            });
        });
        await console.StartAsync();
        var address = TenantConsoleHost.Address(console);
        _provider.AllowRedirectUri(new Uri(address, "/signin/oidc"));

        var (signedIn, cookies) = await ConsoleSignInAsync(address, "ann@acme");
        Assert.Equal("/", signedIn.OriginalString);
        Assert.NotNull(cookies.GetCookies(address)["convoy-console"]);
        Assert.Equal(1, logs.Count("SignedIn"));

        var (refused, _) = await ConsoleSignInAsync(address, "nat@nowhere");
        Assert.StartsWith("/signin/refused?why=", refused.OriginalString, StringComparison.Ordinal);
        Assert.Contains("'tid' claim", Uri.UnescapeDataString(refused.OriginalString), StringComparison.Ordinal);
        Assert.Equal(1, logs.Count("SignInRefused"));
        await console.StopAsync();
        logs.AssertNoUnexpectedErrors();
    }

    /// <summary>
    /// A browser's way through the console's sign-in: the console sends it to the provider, the
    /// login page's choice comes back as the provider's auto-submitting form (response_mode
    /// form_post, the console's default), and that form is posted to the console's callback.
    /// Returns where the console sent it then, and its cookies.
    /// </summary>
    private async Task<(Uri Location, CookieContainer Cookies)> ConsoleSignInAsync(Uri console, string subject)
    {
        var cookies = new CookieContainer();
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = cookies });
        using var challenge = await http.GetAsync(new Uri(console, "/signin/provider?returnUrl=/"));
        Assert.Equal(HttpStatusCode.Redirect, challenge.StatusCode);
        var authorize = challenge.Headers.Location!;
        Assert.StartsWith(_provider.Issuer, authorize.AbsoluteUri, StringComparison.Ordinal);

        string page = await http.GetStringAsync(authorize);
        using var choice = new FormUrlEncodedContent(Fields(page).Append(KeyValuePair.Create(TestIdentityProvider.PersonField, subject)));
        using var posted = await http.PostAsync(new Uri(_provider.Address, TestIdentityProvider.AuthorizationPath), choice);
        Assert.Equal(HttpStatusCode.OK, posted.StatusCode);
        string autoPost = await posted.Content.ReadAsStringAsync();
        Assert.Contains($"action=\"{new Uri(console, "/signin/oidc").AbsoluteUri}\"", autoPost, StringComparison.Ordinal);

        using var callback = new FormUrlEncodedContent(Fields(autoPost));
        using var back = await http.PostAsync(new Uri(console, "/signin/oidc"), callback);
        Assert.Equal(HttpStatusCode.Redirect, back.StatusCode);
        return (back.Headers.Location!, cookies);
    }

    /// <summary>The hidden fields of an HTML form, decoded.</summary>
    private static IEnumerable<KeyValuePair<string, string>> Fields(string html) =>
        [.. HiddenField().Matches(html).Select(static m => KeyValuePair.Create(WebUtility.HtmlDecode(m.Groups["name"].Value), WebUtility.HtmlDecode(m.Groups["value"].Value)))];

    /// <summary>Signs <paramref name="subject"/> in through the whole code flow; returns the access token.</summary>
    private static async Task<string> AccessTokenAsync(TestIdentityProvider provider, string subject)
    {
        using var flow = new CodeFlow(provider);
        using var page = await flow.AuthorizeAsync(RedirectUri);
        using var tokens = await flow.RedeemAsync(await flow.ChooseAsync(await page.Content.ReadAsStringAsync(), subject), provider.ClientSecret);
        return (await CodeFlow.TokensOf(tokens)).Access;
    }

    /// <summary>A verifier configured as the read side is by <see cref="TestIdentityProvider.ReadSideSwitches"/>: issuer, audience, JWKS file.</summary>
    internal static BearerTokenVerifier Verifier(TestIdentityProvider provider, string audience)
    {
        var options = new TokenOptions { Issuer = provider.Issuer, Audience = audience, JwksFile = provider.JwksFile };
        var keys = TokenKeys.Load(options, "FleetHistory:Tokens", TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        return new BearerTokenVerifier(keys, options, TimeProvider.System);
    }

    private static TokenBearer AssertAccepted(TokenVerdict verdict)
    {
        Assert.True(verdict.Bearer is not null, $"the token was refused: {verdict.Reason}: {verdict.Problem}");
        return verdict.Bearer;
    }

    /// <summary>Only the authorization request of a flow, for a test of what the provider refuses.</summary>
    private static async Task<HttpResponseMessage> Once(CodeFlow flow, Uri redirectUri)
    {
        using (flow)
        {
            var response = await flow.AuthorizeAsync(redirectUri);
            await response.Content.LoadIntoBufferAsync();
            return response;
        }
    }

    private static async Task<string?> ErrorOf(HttpResponseMessage response)
    {
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return body.RootElement.GetProperty("error").GetString();
    }

    [GeneratedRegex("<input type=\"hidden\" name=\"(?<name>[^\"]*)\" value=\"(?<value>[^\"]*)\"\\s*/?>")]
    private static partial Regex HiddenField();

    private static string?[] Strings(JsonElement array) => [.. array.EnumerateArray().Select(static e => e.GetString())];

    /// <summary>
    /// One sign-in as a browser and the console make it: the authorization request (PKCE S256, a
    /// state, a nonce), the login page's form posted back with a person chosen, the code taken off
    /// the redirect, and the token request. Cookies are kept, so the provider's session carries over.
    /// </summary>
    internal sealed class CodeFlow(TestIdentityProvider provider, string clientId = TestIdentityProvider.ClientId, bool pkce = true)
        : IDisposable
    {
        private readonly HttpClient _http = new(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer() })
        {
            BaseAddress = provider.Address,
        };

        private readonly string _verifier = NewVerifier();
        private Uri _redirectUri = null!;

        public string State { get; } = Guid.NewGuid().ToString("N");

        public string Nonce { get; } = Guid.NewGuid().ToString("N");

        public static string NewVerifier() => WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(32));

        public Task<HttpResponseMessage> AuthorizeAsync(Uri redirectUri)
        {
            _redirectUri = redirectUri;
            var query = new Dictionary<string, string?>
            {
                ["client_id"] = clientId, ["redirect_uri"] = redirectUri.AbsoluteUri, ["response_type"] = "code",
                ["scope"] = "openid profile roles", ["state"] = State, ["nonce"] = Nonce,
            };
            if (pkce)
            {
                query["code_challenge"] = WebEncoders.Base64UrlEncode(SHA256.HashData(Encoding.ASCII.GetBytes(_verifier)));
                query["code_challenge_method"] = "S256";
            }

            return _http.GetAsync(QueryHelpers.AddQueryString(TestIdentityProvider.AuthorizationPath, query));
        }

        /// <summary>Posts the login page's form as its button for <paramref name="subject"/> would; returns the code the provider redirected with.</summary>
        public async Task<string> ChooseAsync(string loginPage, string subject)
        {
            Assert.Contains($">Sign in as {subject}</button>", loginPage, StringComparison.Ordinal);
            using var content = new FormUrlEncodedContent(Fields(loginPage).Append(KeyValuePair.Create(TestIdentityProvider.PersonField, subject)));
            using var response = await _http.PostAsync(TestIdentityProvider.AuthorizationPath, content);
            return CodeOf(response, State);
        }

        public async Task<HttpResponseMessage> RedeemAsync(string code, string? clientSecret, string? codeVerifier = null)
        {
            var form = new Dictionary<string, string>
            {
                ["grant_type"] = "authorization_code", ["code"] = code, ["redirect_uri"] = _redirectUri.AbsoluteUri,
                ["client_id"] = clientId, ["code_verifier"] = codeVerifier ?? _verifier,
            };
            if (clientSecret is not null)
            {
                form["client_secret"] = clientSecret;
            }

            using var content = new FormUrlEncodedContent(form);
            return await _http.PostAsync(TestIdentityProvider.TokenPath, content);
        }

        /// <summary>The code of a redirect back to the client, after checking it is the client's address and carries its state.</summary>
        public static string CodeOf(HttpResponseMessage redirect, string state)
        {
            Assert.Equal(HttpStatusCode.Redirect, redirect.StatusCode);
            var location = redirect.Headers.Location!;
            Assert.Equal(RedirectUri.GetLeftPart(UriPartial.Path), location.GetLeftPart(UriPartial.Path));
            var query = QueryHelpers.ParseQuery(location.Query);
            Assert.Equal(state, query["state"].ToString());
            string code = query["code"].ToString();
            Assert.False(string.IsNullOrEmpty(code), $"no code in {location}");
            return code;
        }

        public static async Task<(string Access, string Identity)> TokensOf(HttpResponseMessage response)
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var body = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal("Bearer", body.GetProperty("token_type").GetString());
            return (body.GetProperty("access_token").GetString()!, body.GetProperty("id_token").GetString()!);
        }

        public void Dispose() => _http.Dispose();
    }
}
