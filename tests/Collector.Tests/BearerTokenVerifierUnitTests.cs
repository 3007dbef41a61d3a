using System.Security.Cryptography;
using Convoy.Tokens;

namespace Convoy.Collector.Tests;

/// <summary>
/// The shared bearer token verification (src/Tokens), as the collector and the query API both use
/// it: the checks that need a clock or a file under the test's control. The collector's partner
/// tests (EndToEnd.Tests, Partner*) run the same verifier behind real gRPC.
/// </summary>
public sealed class BearerTokenVerifierUnitTests : IDisposable
{
    private readonly TestTokenIssuer _issuer = new();

    [Theory]
    [InlineData(-29, true)]   // expired 29 s ago: within the 30 s skew
    [InlineData(-31, false)]  // 31 s ago: beyond it
    [InlineData(600, true)]
    public async Task VerifyAsync_Expiry_IsJudgedByTheVerifiersClockWithTheSkew(int expiresInSeconds, bool accepted)
    {
        string jwt = _issuer.Mint(expires: TestTokenIssuer.Start.AddSeconds(expiresInSeconds), notBefore: TestTokenIssuer.Start.AddMinutes(-20));

        var verdict = await _issuer.Verifier().VerifyAsync(jwt);

        Assert.Equal(accepted, verdict.Bearer is not null);
        Assert.Equal(accepted ? null : "token-expired", verdict.Reason);
    }

    [Theory]
    [InlineData(29, true)]
    [InlineData(31, false)]
    public async Task VerifyAsync_NotBefore_IsJudgedWithTheSkew(int validInSeconds, bool accepted)
    {
        var verdict = await _issuer.Verifier().VerifyAsync(_issuer.Mint(expires: TestTokenIssuer.Start.AddHours(1), notBefore: TestTokenIssuer.Start.AddSeconds(validInSeconds)));

        Assert.Equal(accepted ? null : "token-not-yet-valid", verdict.Reason);
    }

    [Fact]
    public async Task VerifyAsync_AcceptedToken_NamesItsTenantSubjectExpiryAndKey()
    {
        var verdict = await _issuer.Verifier().VerifyAsync(_issuer.Mint(expires: TestTokenIssuer.Start.AddMinutes(7)));

        var bearer = Assert.IsType<TokenBearer>(verdict.Bearer);
        Assert.Equal(("acme", "unit", TestTokenIssuer.Start.AddMinutes(7), TestTokenIssuer.KeyId), (bearer.Tenant, bearer.Subject, bearer.ExpiresAt, bearer.KeyId));
        Assert.Null(verdict.Reason);
        Assert.Null(verdict.Problem);
    }

    [Theory]
    [InlineData("array", "analyst billing viewer")]
    [InlineData("string", "analyst viewer")]
    [InlineData("single", "admin")]
    [InlineData("collector", "alerts:read ingest")]
    public async Task VerifyAsync_Roles_ArePassedOnUnfiltered_FromAnArrayOrASpaceSeparatedString(string form, string expected)
    {
        object roles = form switch
        {
            "array" => new[] { "viewer", "analyst", "billing", "viewer" },
            "string" => "viewer  analyst",
            "single" => "admin",
            _ => new[] { "ingest alerts:read" },
        };

        var verdict = await _issuer.Verifier().VerifyAsync(_issuer.Mint(roles: roles));

        Assert.Equal(expected.Split(' '), verdict.Bearer!.Roles.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task VerifyAsync_TokenWithoutKid_IsTriedAgainstEveryConfiguredKey()
    {
        var verdict = await _issuer.Verifier().VerifyAsync(_issuer.Mint(keyId: null));

        Assert.NotNull(verdict.Bearer);
        Assert.Null(verdict.Bearer.KeyId);
    }

    [Fact]
    public async Task VerifyAsync_WithoutConfiguredKeys_RefusesEveryTokenSayingSo()
    {
        var verifier = new BearerTokenVerifier(null, new TokenOptions(), _issuer.Time);

        var verdict = await verifier.VerifyAsync(_issuer.Mint());

        Assert.False(verifier.Enabled);
        Assert.Null(verdict.Bearer);
        Assert.Equal("tokens-not-configured", verdict.Reason);
        Assert.Contains("platform operator", verdict.Problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("wrong-issuer", "token-wrong-issuer")]
    [InlineData("wrong-audience", "token-wrong-audience")]
    [InlineData("unknown-kid", "token-unknown-key")]
    [InlineData("other-key", "token-bad-signature")]
    [InlineData("no-tid", "token-no-tenant")]
    [InlineData("bad-tid", "token-no-tenant")]
    [InlineData("not-a-jwt", "token-malformed")]
    public async Task VerifyAsync_RefusedToken_SaysWhyInWordsForAnyProgram(string change, string reason)
    {
        using var other = RSA.Create(2048);
        string jwt = change switch
        {
            "wrong-issuer" => _issuer.Mint(issuer: "https://someone-else.test"),
            "wrong-audience" => _issuer.Mint(audience: "convoy-elsewhere"),
            "unknown-kid" => _issuer.Mint(keyId: "stranger"),
            "other-key" => _issuer.Mint(signingKey: other),
            "no-tid" => _issuer.Mint(tenant: null),
            "bad-tid" => _issuer.Mint(tenant: "Acme\nforged"),
            _ => "not.a.jwt",
        };

        var verdict = await _issuer.Verifier().VerifyAsync(jwt);

        Assert.Null(verdict.Bearer);
        Assert.Equal(reason, verdict.Reason);
        Assert.DoesNotContain("collector", verdict.Problem, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("partner", verdict.Problem, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("\n", verdict.Problem, StringComparison.Ordinal);
        Assert.Equal(change == "not-a-jwt" ? null : "unit", verdict.UnverifiedSubject);
    }

    public void Dispose() => _issuer.Dispose();
}
