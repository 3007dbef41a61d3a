using Convoy.Pki;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Convoy.Collector.Authentication;

/// <summary>The outcome of checking a partner token: the partner, or why not (a metric label and a sentence for the caller).</summary>
internal readonly record struct PartnerVerdict(PartnerIdentity? Partner, string? Reason, string? Problem, string? Subject)
{
    public static PartnerVerdict Refused(string reason, string problem, string? subject = null) => new(null, reason, problem, subject);
}

/// <summary>
/// Verifies partner JWTs with Microsoft.IdentityModel's <see cref="JsonWebTokenHandler"/>: signature
/// (RS256 or ES256 only, with a configured key), issuer, audience, expiry and not-before (with the
/// configured skew). The tenant comes only from the <c>tid</c> claim; roles from <c>roles</c> (a JSON
/// array, or one space-separated string as in OAuth's <c>scope</c>).
/// </summary>
internal sealed class PartnerTokens
{
    private static readonly string[] Algorithms = [SecurityAlgorithms.RsaSha256, SecurityAlgorithms.EcdsaSha256];
    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };
    private readonly PartnerKeys? _keys;
    private readonly PartnerOptions _options;
    private readonly TimeProvider _time;

    /// <param name="keys">Null when no partner keys are configured: every token is refused.</param>
    public PartnerTokens(PartnerKeys? keys, PartnerOptions options, TimeProvider time)
    {
        _keys = keys;
        _options = options;
        _time = time;
    }

    public bool Enabled => _keys is not null;

    public async Task<PartnerVerdict> VerifyAsync(string token)
    {
        if (_keys is null)
        {
            return PartnerVerdict.Refused("partners-not-configured",
                "this collector accepts no partner tokens (no Collector:Partners keys are configured); ask the platform operator, or use a device certificate");
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
            return PartnerVerdict.Refused("token-malformed", "the bearer token is not a JWT (header.payload.signature, base64url)");
        }

        string subject = unverified.TryGetPayloadValue<string>(JwtRegisteredClaimNames.Sub, out string? sub) ? sub : string.Empty;
        if (Array.IndexOf(Algorithms, unverified.Alg) < 0)
        {
            return PartnerVerdict.Refused("token-algorithm",
                $"token algorithm {LogText.Quote(unverified.Alg)} is not accepted; partner tokens are signed with RS256 or ES256", subject);
        }

        var keys = _keys.Current;
        if (!string.IsNullOrEmpty(unverified.Kid) && !keys.Knows(unverified.Kid))
        {
            return PartnerVerdict.Refused("token-unknown-key",
                $"token key id (kid) {LogText.Quote(unverified.Kid)} is not one of this collector's partner keys; ask the platform operator to install your public key", subject);
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
            return PartnerVerdict.Refused("token-no-tenant", "the token has no 'tid' claim; a partner token must name its tenant in 'tid'", subject);
        }

        if (!DeviceIdentity.IsValidTenant(tenant))
        {
            return PartnerVerdict.Refused("token-no-tenant", $"the token's 'tid' claim {LogText.Quote(tenant)} is not a tenant id (1..63 characters of [a-z0-9-])", subject);
        }

        var roles = PartnerRoles.None;
        foreach (var claim in jwt.Claims)
        {
            if (claim.Type != "roles")
            {
                continue;
            }

            foreach (string role in claim.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                roles |= role switch
                {
                    PartnerIdentity.IngestRole => PartnerRoles.Ingest,
                    PartnerIdentity.AlertsReadRole => PartnerRoles.AlertsRead,
                    _ => PartnerRoles.None,
                };
            }
        }

        // exp is required above, so ValidTo is the token's real expiry.
        var partner = new PartnerIdentity(tenant, subject, roles, new DateTimeOffset(jwt.ValidTo, TimeSpan.Zero), string.IsNullOrEmpty(jwt.Kid) ? null : jwt.Kid);
        return new PartnerVerdict(partner, null, null, subject);
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

    private static PartnerVerdict Refusal(Exception? error, string subject) => error switch
    {
        SecurityTokenExpiredException e => PartnerVerdict.Refused("token-expired", $"the token expired at {e.Expires:u}; get a fresh one from your issuer", subject),
        SecurityTokenNotYetValidException e => PartnerVerdict.Refused("token-not-yet-valid", $"the token is not valid before {e.NotBefore:u}; check the issuer's clock", subject),
        SecurityTokenNoExpirationException => PartnerVerdict.Refused("token-no-expiry", "the token has no 'exp' claim; partner tokens must expire", subject),
        SecurityTokenInvalidIssuerException => PartnerVerdict.Refused("token-wrong-issuer", "the token's issuer ('iss') is not the one this collector trusts", subject),
        SecurityTokenInvalidAudienceException => PartnerVerdict.Refused("token-wrong-audience", "the token's audience ('aud') is not this collector's", subject),
        SecurityTokenInvalidAlgorithmException => PartnerVerdict.Refused("token-algorithm", "the token's algorithm is not accepted; partner tokens are signed with RS256 or ES256", subject),
        SecurityTokenSignatureKeyNotFoundException => PartnerVerdict.Refused("token-unknown-key", "no partner key of this collector matches the token; ask the platform operator to install your public key", subject),
        SecurityTokenInvalidSignatureException => PartnerVerdict.Refused("token-bad-signature", "the token's signature does not verify with the partner key it names", subject),
        SecurityTokenMalformedException => PartnerVerdict.Refused("token-malformed", "the bearer token is not a well-formed JWT", subject),
        _ => PartnerVerdict.Refused("token-invalid", "the token was refused: " + (error?.GetType().Name ?? "unknown reason"), subject),
    };
}
