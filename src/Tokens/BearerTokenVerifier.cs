using Convoy.Pki;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Convoy.Tokens;

/// <summary>
/// Verifies bearer JWTs with Microsoft.IdentityModel's <see cref="JsonWebTokenHandler"/>: signature
/// (RS256 or ES256 only, with a configured key), issuer, audience, expiry and not-before (with the
/// configured skew, on this process's clock). The tenant comes only from the <c>tid</c> claim; roles
/// from <c>roles</c> (a JSON array, or one space-separated string as in OAuth's <c>scope</c>), passed
/// on as they are: each program maps the role names it knows. Refusals are worded for whichever
/// program verifies ("this service"), so the same sentence serves the collector's partners and the
/// query API's users.
/// </summary>
public sealed class BearerTokenVerifier
{
    private static readonly string[] Algorithms = [SecurityAlgorithms.RsaSha256, SecurityAlgorithms.EcdsaSha256];
    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };
    private readonly TokenKeys? _keys;
    private readonly TokenOptions _options;
    private readonly TimeProvider _time;

    /// <param name="keys">Null when no keys are configured: every token is refused.</param>
    /// <param name="options">The issuer, audience and clock skew tokens are held to (validated).</param>
    /// <param name="time">The clock <c>exp</c> and <c>nbf</c> are judged by.</param>
    public BearerTokenVerifier(TokenKeys? keys, TokenOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        _keys = keys;
        _options = options;
        _time = time;
    }

    /// <summary>True when keys are configured, so a token can be accepted at all.</summary>
    public bool Enabled => _keys is not null;

    /// <summary>The token's bearer, or why the token is refused (never throws for a bad token).</summary>
    public async Task<TokenVerdict> VerifyAsync(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        if (_keys is null)
        {
            return TokenVerdict.Refused("tokens-not-configured",
                "this service accepts no bearer tokens (no keys to verify them with are configured); ask the platform operator");
        }

        // Read the header first (no trust in it yet) only to give a precise refusal; the handler
        // below enforces the same rules again.
        JsonWebToken unverified;
        try
        {
            unverified = new JsonWebToken(token);
        }
        catch (ArgumentException)
        {
            return TokenVerdict.Refused("token-malformed", "the bearer token is not a JWT (header.payload.signature, base64url)");
        }

        string subject = unverified.TryGetPayloadValue<string>(JwtRegisteredClaimNames.Sub, out string? sub) ? sub : string.Empty;
        if (Array.IndexOf(Algorithms, unverified.Alg) < 0)
        {
            return TokenVerdict.Refused("token-algorithm",
                $"token algorithm {LogText.Quote(unverified.Alg)} is not accepted; tokens must be signed with RS256 or ES256", subject);
        }

        var keys = _keys.Current;
        if (!string.IsNullOrEmpty(unverified.Kid) && !keys.Knows(unverified.Kid))
        {
            return TokenVerdict.Refused("token-unknown-key",
                $"token key id (kid) {LogText.Quote(unverified.Kid)} is not one of the keys this service trusts; ask the platform operator to install your public key", subject);
        }

        var parameters = new TokenValidationParameters
        {
            ValidIssuer = _options.Issuer,
            ValidAudience = _options.Audience,
            ValidAlgorithms = Algorithms,
            ClockSkew = TimeSpan.FromSeconds(_options.ClockSkewSeconds),
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            ValidateIssuerSigningKey = false, // a configured key is trusted as such; there is no chain to check
            TryAllIssuerSigningKeys = false,
            IssuerSigningKeyResolver = (_, _, kid, _) => keys.For(kid),
            LifetimeValidator = Lifetime,
        };
        var result = await _handler.ValidateTokenAsync(token, parameters);
        if (!result.IsValid)
        {
            return Refusal(result.Exception, subject);
        }

        var jwt = (JsonWebToken)result.SecurityToken;
        if (!jwt.TryGetPayloadValue<string>("tid", out string? tenant) || string.IsNullOrEmpty(tenant))
        {
            return TokenVerdict.Refused("token-no-tenant", "the token has no 'tid' claim; a token must name its tenant in 'tid'", subject);
        }

        if (!DeviceIdentity.IsValidTenant(tenant))
        {
            return TokenVerdict.Refused("token-no-tenant", $"the token's 'tid' claim {LogText.Quote(tenant)} is not a tenant id (1..63 characters of [a-z0-9-])", subject);
        }

        // A JSON array comes as one claim per element, a string as one claim: split both on spaces.
        var roles = new HashSet<string>(StringComparer.Ordinal);
        foreach (var claim in jwt.Claims)
        {
            if (claim.Type == "roles")
            {
                roles.UnionWith(claim.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries));
            }
        }

        // exp is required above, so ValidTo is the token's real expiry.
        var bearer = new TokenBearer(tenant, subject, roles, new DateTimeOffset(jwt.ValidTo, TimeSpan.Zero), string.IsNullOrEmpty(jwt.Kid) ? null : jwt.Kid);
        return new TokenVerdict(bearer, null, null, subject);
    }

    /// <summary>exp and nbf against this process's <see cref="TimeProvider"/> (so tests can move time), with the skew.</summary>
    private bool Lifetime(DateTime? notBefore, DateTime? expires, SecurityToken token, TokenValidationParameters parameters)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        if (expires is null)
        {
            throw new SecurityTokenNoExpirationException("the token has no 'exp' claim");
        }

        if (notBefore is { } nbf && nbf > now + parameters.ClockSkew)
        {
            throw new SecurityTokenNotYetValidException("not yet valid") { NotBefore = nbf };
        }

        if (expires.Value < now - parameters.ClockSkew)
        {
            throw new SecurityTokenExpiredException("expired") { Expires = expires.Value };
        }

        return true;
    }

    private static TokenVerdict Refusal(Exception? error, string subject) => error switch
    {
        SecurityTokenExpiredException e => TokenVerdict.Refused("token-expired", $"the token expired at {e.Expires:u}; get a fresh one from your issuer", subject),
        SecurityTokenNotYetValidException e => TokenVerdict.Refused("token-not-yet-valid", $"the token is not valid before {e.NotBefore:u}; check the issuer's clock", subject),
        SecurityTokenNoExpirationException => TokenVerdict.Refused("token-no-expiry", "the token has no 'exp' claim; tokens must expire", subject),
        SecurityTokenInvalidIssuerException => TokenVerdict.Refused("token-wrong-issuer", "the token's issuer ('iss') is not the one this service trusts", subject),
        SecurityTokenInvalidAudienceException => TokenVerdict.Refused("token-wrong-audience", "the token's audience ('aud') is not this service's", subject),
        SecurityTokenInvalidAlgorithmException => TokenVerdict.Refused("token-algorithm", "the token's algorithm is not accepted; tokens must be signed with RS256 or ES256", subject),
        SecurityTokenSignatureKeyNotFoundException => TokenVerdict.Refused("token-unknown-key", "no key this service trusts matches the token; ask the platform operator to install your public key", subject),
        SecurityTokenInvalidSignatureException => TokenVerdict.Refused("token-bad-signature", "the token's signature does not verify with the key it names", subject),
        SecurityTokenMalformedException => TokenVerdict.Refused("token-malformed", "the bearer token is not a well-formed JWT", subject),
        _ => TokenVerdict.Refused("token-invalid", "the token was refused: " + (error?.GetType().Name ?? "unknown reason"), subject),
    };
}
